import type { Client } from '@libsql/client'

import { findCommentWithProject } from '../db/comments.js'
import type { StoredEvent } from '../db/events.js'
import { findProject } from '../db/projects.js'
import { findTask, findTasks } from '../db/tasks.js'
import type { BoardEvent } from '../domain/events.js'

type Fields = Record<string, unknown>

function fieldsOf(payload: unknown): Fields {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
    ? (payload as Fields)
    : {}
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/**
 * Turns a row of the event log into the message clients receive, with the
 * full object as payload. Rows this server writes carry the object already
 * (a snapshot taken in the writing transaction); rows of the Python version
 * name it by id only, so it is looked up as it is now. When the object is
 * gone, the row's own payload is passed on rather than dropping the event.
 *
 * @throws the client's `LibsqlError` when a lookup fails.
 */
export async function resolveEvent(db: Client, stored: StoredEvent): Promise<BoardEvent> {
  const fields = fieldsOf(stored.payload)
  const base = { type: stored.type, seq: stored.seq }

  switch (stored.type) {
    case 'project_created':
    case 'project_updated': {
      const projectId = text(fields.project_id)
      const project = fields.project ?? (projectId && (await findProject(db, projectId)))
      return { ...base, project_id: projectId, payload: project || stored.payload }
    }
    case 'task_created':
    case 'task_updated': {
      const taskId = text(fields.task_id)
      const task = fieldsOf(fields.task ?? (taskId && (await findTask(db, taskId))))
      const projectId = text(task.project_id) ?? text(fields.project_id)
      const payload = Object.keys(task).length > 0 ? task : stored.payload
      return { ...base, project_id: projectId, payload }
    }
    case 'comment_added': {
      if (fields.comment !== undefined) {
        return {
          ...base,
          project_id: text(fields.project_id),
          payload: fields.comment,
        }
      }
      const commentId = text(fields.comment_id)
      const found = commentId ? await findCommentWithProject(db, commentId) : null
      return {
        ...base,
        project_id: found?.project_id ?? text(fields.project_id),
        payload: found?.comment ?? stored.payload,
      }
    }
    case 'subtasks_created': {
      const ids = Array.isArray(fields.task_ids) ? fields.task_ids.filter(isString) : []
      const tasks: unknown[] = Array.isArray(fields.tasks) ? fields.tasks : await findTasks(db, ids)
      const projectId = text(fields.project_id) ?? text(fieldsOf(tasks[0]).project_id)
      return {
        ...base,
        project_id: projectId,
        payload: { parent_task_id: text(fields.parent_task_id), tasks },
      }
    }
    default:
      return { ...base, project_id: text(fields.project_id), payload: stored.payload }
  }
}

function isString(value: unknown): value is string {
  return typeof value === 'string'
}
