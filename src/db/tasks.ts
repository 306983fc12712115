import type { Client, InStatement } from '@libsql/client'

import { RelayError, notFound } from '../domain/errors.js'
import type { CreateSubtasks, CreateTask, Task, TaskDetail } from '../domain/schemas.js'
import type { Phase } from '../domain/vocabulary.js'
import { listComments } from './comments.js'
import { recordEvent } from './events.js'
import { findProject } from './projects.js'
import {
  TASK_COLUMNS,
  firstRow,
  jsonObjectOf,
  newId,
  now,
  rowToObject,
  rowsToObjects,
  selectList,
} from './rows.js'

export const TASK_SELECT = `SELECT ${selectList(TASK_COLUMNS, 't')} FROM tasks t`
export const TASK_JSON = jsonObjectOf(TASK_COLUMNS, 't')

/** One task, or `null` when no task has that id. */
export async function findTask(db: Client, taskId: string): Promise<Task | null> {
  const result = await db.execute({ sql: `${TASK_SELECT} WHERE t.id = ?`, args: [taskId] })
  return firstRow<Task>(result, TASK_COLUMNS)
}

/** The tasks with the given ids that exist, oldest first. */
export async function findTasks(db: Client, taskIds: readonly string[]): Promise<Task[]> {
  if (taskIds.length === 0) {
    return []
  }
  const result = await db.execute({
    sql: `${TASK_SELECT} WHERE t.id IN (${taskIds.map(() => '?').join(', ')})
          ORDER BY t.created_at, t.rowid`,
    args: [...taskIds],
  })
  return rowsToObjects<Task>(result, TASK_COLUMNS)
}

/**
 * One task, or a `not_found` error.
 *
 * @throws {RelayError} `not_found` when no task has that id.
 */
export async function getTask(db: Client, taskId: string): Promise<Task> {
  const task = await findTask(db, taskId)
  if (!task) {
    throw notFound('Task', taskId)
  }
  return task
}

/**
 * One task with its comments, oldest first.
 *
 * @throws {RelayError} `not_found` when no task has that id.
 */
export async function getTaskDetail(db: Client, taskId: string): Promise<TaskDetail> {
  const task = await getTask(db, taskId)
  return { ...task, comments: await listComments(db, taskId) }
}

/**
 * Every task of a project, oldest first.
 *
 * @throws {RelayError} `not_found` when no project has that id.
 */
export async function listProjectTasks(db: Client, projectId: string): Promise<Task[]> {
  // One statement, so one snapshot: no row means no project; a row without
  // a task id means a project without tasks.
  const result = await db.execute({
    sql: `SELECT ${selectList(TASK_COLUMNS, 't')} FROM projects p
          LEFT JOIN tasks t ON t.project_id = p.id
          WHERE p.id = ? ORDER BY t.created_at, t.rowid`,
    args: [projectId],
  })
  if (result.rows.length === 0) {
    throw notFound('Project', projectId)
  }
  return result.rows
    .filter((row) => row.id !== null)
    .map((row) => rowToObject<Task>(row, TASK_COLUMNS))
}

/** A project's tasks with how many comments each has, oldest first (the MCP `get_board`). */
export async function listTasksWithCommentCounts(
  db: Client,
  projectId: string
): Promise<(Task & { comment_count: number })[]> {
  const result = await db.execute({
    sql: `SELECT ${selectList(TASK_COLUMNS, 't')},
            (SELECT count(*) FROM comments c WHERE c.task_id = t.id) AS comment_count
          FROM tasks t WHERE t.project_id = ? ORDER BY t.created_at, t.rowid`,
    args: [projectId],
  })
  return result.rows.map((row) => ({
    ...rowToObject<Task>(row, TASK_COLUMNS),
    comment_count: Number(row.comment_count),
  }))
}

/** The `in_progress` tasks of one phase, oldest first, optionally of one project. */
export async function listActiveTasks(
  db: Client,
  phase: Phase,
  projectId: string | undefined
): Promise<Task[]> {
  const result = await db.execute({
    sql: `${TASK_SELECT} WHERE t.status = 'in_progress' AND t.phase = ?
          AND (?2 IS NULL OR t.project_id = ?2) ORDER BY t.created_at, t.rowid`,
    args: [phase, projectId ?? null],
  })
  return rowsToObjects<Task>(result, TASK_COLUMNS)
}

function insertTaskRow(task: Task): InStatement {
  return {
    sql: `INSERT INTO tasks (${TASK_COLUMNS.join(', ')})
          VALUES (${TASK_COLUMNS.map(() => '?').join(', ')})`,
    args: TASK_COLUMNS.map((column) => task[column]),
  }
}

/** The INSERT of a new task and its `task_created` event, for a write batch. */
export function insertTaskStatements(task: Task): InStatement[] {
  return [
    insertTaskRow(task),
    recordEvent(
      'task_created',
      { sql: `json_object('task_id', t.id, 'project_id', t.project_id, 'task', ${TASK_JSON})` },
      { sql: 'FROM tasks t WHERE t.id = ?', args: [task.id] }
    ),
  ]
}

/**
 * Throws unless the project exists and is not cancelled.
 *
 * @throws {RelayError} `not_found`, or `conflict` naming `action`.
 */
export async function assertProjectOpen(
  db: Client,
  projectId: string,
  action: string
): Promise<void> {
  const project = await findProject(db, projectId)
  if (!project) {
    throw notFound('Project', projectId)
  }
  if (project.status === 'cancelled') {
    throw new RelayError('conflict', `Project '${projectId}' is cancelled: ${action}`, {
      details: { project_status: project.status },
    })
  }
}

/**
 * Creates a task in a project, with its `task_created` event.
 *
 * @throws {RelayError} `not_found` for an unknown project; `conflict` for a
 *   cancelled one; `invalid_input` when `parent_task_id` is not a task of
 *   the same project.
 */
export async function createTask(db: Client, projectId: string, input: CreateTask): Promise<Task> {
  await assertProjectOpen(db, projectId, 'no tasks can be added to it')
  const parentId = input.parent_task_id ?? null
  if (parentId !== null) {
    const parent = await findTask(db, parentId)
    if (parent?.project_id !== projectId) {
      throw new RelayError(
        'invalid_input',
        `parent_task_id '${parentId}' is not a task of project '${projectId}'`,
        { details: { errors: [{ field: 'parent_task_id', message: 'unknown parent task' }] } }
      )
    }
  }

  const task = newTask(projectId, parentId, input)
  await db.batch(insertTaskStatements(task), 'write')
  return task
}

function newTask(
  projectId: string,
  parentId: string | null,
  input: { title: string; description: string; phase: Phase }
): Task {
  const timestamp = now()
  return {
    id: newId(),
    project_id: projectId,
    parent_task_id: parentId,
    title: input.title,
    description: input.description,
    phase: input.phase,
    status: 'backlog',
    branch: null,
    worktree_path: null,
    session_id: null,
    created_at: timestamp,
    updated_at: timestamp,
  }
}

/**
 * Creates several tasks under one parent, all or none, with one
 * `subtasks_created` event that lists them.
 *
 * @throws {RelayError} `not_found` for an unknown parent; `conflict` when
 *   its project is cancelled.
 */
export async function createSubtasks(db: Client, input: CreateSubtasks): Promise<Task[]> {
  const parent = await getTask(db, input.parent_task_id)
  await assertProjectOpen(db, parent.project_id, 'no tasks can be added to it')

  const tasks = input.tasks.map((subtask) => newTask(parent.project_id, parent.id, subtask))
  const ids = tasks.map((task) => task.id)
  await db.batch(
    [
      ...tasks.map((task) => insertTaskRow(task)),
      recordEvent(
        'subtasks_created',
        {
          sql: `json_object('parent_task_id', ?, 'project_id', ?,
                  'task_ids', json_group_array(t.id), 'tasks', json_group_array(${TASK_JSON}))`,
          args: [parent.id, parent.project_id],
        },
        { sql: `FROM tasks t WHERE t.id IN (${ids.map(() => '?').join(', ')})`, args: ids }
      ),
    ],
    'write'
  )
  return tasks
}
