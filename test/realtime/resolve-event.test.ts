import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { StoredEvent } from '../../src/db/events.js'
import { createProject } from '../../src/db/projects.js'
import { addComment } from '../../src/db/comments.js'
import { createTask } from '../../src/db/tasks.js'
import type { CreatedProject } from '../../src/domain/schemas.js'
import { resolveEvent } from '../../src/realtime/resolve-event.js'
import { type TempDatabase, createTempDatabase } from '../helpers/database.js'

let temp: TempDatabase
let board: CreatedProject

beforeEach(async () => {
  temp = await createTempDatabase()
  board = await createProject(temp.db, { title: 'T', description: 'd' })
})

afterEach(async () => {
  await temp.cleanup()
})

function stored(type: string, payload: unknown): StoredEvent {
  return { seq: 7, id: 'e7', type, payload, created_at: '2026-01-01T00:00:00+00:00' }
}

// The payloads the Python MCP server writes (CONTEXT.md), naming rows by id.
describe('resolveEvent', () => {
  it('looks up the project of an id-only project_created row', async () => {
    const event = await resolveEvent(
      temp.db,
      stored('project_created', { project_id: board.project.id })
    )
    expect(event).toEqual({
      type: 'project_created',
      seq: 7,
      project_id: board.project.id,
      payload: board.project,
    })
  })

  it('looks up the project of a project_updated row as it is now', async () => {
    await temp.db.execute({
      sql: "UPDATE projects SET status = 'cancelled' WHERE id = ?",
      args: [board.project.id],
    })
    const event = await resolveEvent(
      temp.db,
      stored('project_updated', { project_id: board.project.id, status: 'cancelled' })
    )
    expect(event.payload).toEqual({ ...board.project, status: 'cancelled' })
  })

  it('looks up the task of an id-only task_created row', async () => {
    const event = await resolveEvent(
      temp.db,
      stored('task_created', { task_id: board.task.id, project_id: board.project.id })
    )
    expect(event).toEqual({
      type: 'task_created',
      seq: 7,
      project_id: board.project.id,
      payload: board.task,
    })
  })

  it('looks up the task of a task_updated row that carries only the task id', async () => {
    const event = await resolveEvent(temp.db, stored('task_updated', { task_id: board.task.id }))
    expect(event.payload).toEqual(board.task)
    expect(event.project_id).toBe(board.project.id)
  })

  it('looks up the comment of a comment_added row and finds its project', async () => {
    const comment = await addComment(temp.db, board.task.id, {
      content: 'c',
      author_role: 'reviewer',
    })
    const event = await resolveEvent(
      temp.db,
      stored('comment_added', { comment_id: comment.id, task_id: board.task.id })
    )
    expect(event).toEqual({
      type: 'comment_added',
      seq: 7,
      project_id: board.project.id,
      payload: comment,
    })
  })

  it('looks up every task of a subtasks_created row', async () => {
    const a = await createTask(temp.db, board.project.id, {
      title: 'a',
      phase: 'coder',
      description: '',
      parent_task_id: board.task.id,
    })
    const b = await createTask(temp.db, board.project.id, {
      title: 'b',
      phase: 'coder',
      description: '',
      parent_task_id: board.task.id,
    })
    const event = await resolveEvent(
      temp.db,
      stored('subtasks_created', { parent_task_id: board.task.id, task_ids: [a.id, b.id] })
    )
    expect(event).toEqual({
      type: 'subtasks_created',
      seq: 7,
      project_id: board.project.id,
      payload: { parent_task_id: board.task.id, tasks: [a, b] },
    })
  })

  it('passes an orchestrator_trigger row on as written', async () => {
    const payload = { parent_task_id: board.task.id, project_id: board.project.id }
    const event = await resolveEvent(temp.db, stored('orchestrator_trigger', payload))
    expect(event).toEqual({
      type: 'orchestrator_trigger',
      seq: 7,
      project_id: board.project.id,
      payload,
    })
  })

  it('passes on the row as written when the object it names is gone', async () => {
    const payload = { task_id: 'deleted', old_status: 'backlog', new_status: 'done' }
    const event = await resolveEvent(temp.db, stored('task_updated', payload))
    expect(event).toEqual({ type: 'task_updated', seq: 7, project_id: null, payload })
  })

  it('passes on a row of an unknown type, and a payload that was not JSON, unchanged', async () => {
    expect(await resolveEvent(temp.db, stored('task_archived', { x: 1 }))).toEqual({
      type: 'task_archived',
      seq: 7,
      project_id: null,
      payload: { x: 1 },
    })
    expect((await resolveEvent(temp.db, stored('task_updated', null))).payload).toBeNull()
  })
})
