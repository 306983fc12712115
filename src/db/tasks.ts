import type { Client, InStatement, ResultSet } from '@libsql/client'

import { RelayError, notFound } from '../domain/errors.js'
import type { CreateSubtasks, CreateTask, Task, TaskDetail, UpdateTask } from '../domain/schemas.js'
import { assertTransition } from '../domain/task-status.js'
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

const TASK_SELECT = `SELECT ${selectList(TASK_COLUMNS, 't')} FROM tasks t`
const TASK_JSON = jsonObjectOf(TASK_COLUMNS, 't')

// How often a guarded write is retried when another writer changed the task
// between our read and our write. Each retry re-checks the state machine
// against what is there now, so a refusal names the status actually found.
const MAX_ATTEMPTS = 5

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
  const [projectResult, taskResult] = await db.batch([
    { sql: 'SELECT 1 FROM projects WHERE id = ?', args: [projectId] },
    {
      sql: `${TASK_SELECT} WHERE t.project_id = ? ORDER BY t.created_at, t.rowid`,
      args: [projectId],
    },
  ])
  if (!projectResult?.rows.length || !taskResult) {
    throw notFound('Project', projectId)
  }
  return rowsToObjects<Task>(taskResult, TASK_COLUMNS)
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

// The columns an exact guard compares besides id and status.
const OTHER_COLUMNS = TASK_COLUMNS.filter((column) => column !== 'id' && column !== 'status')

/**
 * A guarded change of a task and its `task_updated` event, for a write
 * batch. The UPDATE applies only while the task still has the status it was
 * read with (`task.status`), or with `exact`, while every column still holds
 * what was read; the event is recorded only if the UPDATE applied.
 * Statements placed right after these can test `changes() = 1` the same way.
 */
function changeTaskStatements(
  task: Task,
  changes: UpdateTask,
  timestamp: string,
  exact = false
): InStatement[] {
  const guarded = exact ? OTHER_COLUMNS : []
  return [
    {
      sql: `UPDATE tasks SET status = coalesce(?, status), title = coalesce(?, title),
              description = coalesce(?, description), updated_at = ?
            WHERE id = ? AND status = ?${guarded.map((column) => ` AND ${column} IS ?`).join('')}`,
      args: [
        changes.status ?? null,
        changes.title ?? null,
        changes.description ?? null,
        timestamp,
        task.id,
        task.status,
        ...guarded.map((column) => task[column]),
      ],
    },
    recordEvent(
      'task_updated',
      {
        sql: `json_object('task_id', t.id, 'old_status', ?, 'new_status', t.status, 'task', ${TASK_JSON})`,
        args: [task.status],
      },
      { sql: 'FROM tasks t WHERE t.id = ? AND changes() = 1', args: [task.id] }
    ),
  ]
}

/** The statements that cancel one open task, for a write batch (see `cancelProject`). */
export function cancelTaskStatements(task: Task, timestamp: string): InStatement[] {
  return changeTaskStatements(task, { status: 'cancelled' }, timestamp)
}

async function assertProjectOpen(db: Client, projectId: string, action: string): Promise<void> {
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

/** Options of `updateTask`. */
export interface UpdateTaskOptions {
  /**
   * Called with the task as read before each attempt to write; throws to
   * refuse the update (the HTTP layer's `If-Match`). When given, the write
   * applies only if every column still holds what was read, so a change by
   * another writer in between is read again and checked again instead of
   * being overwritten.
   */
  check?: (current: Task) => void | Promise<void>
}

/**
 * Changes a task's status, title or description in one transaction with its
 * `task_updated` event. A status change must be a legal move of the state
 * machine; of two concurrent moves from the same status only one succeeds.
 *
 * @throws {RelayError} `not_found`; whatever `options.check` throws;
 *   `invalid_transition` (with the status actually found); `conflict` when
 *   moving a task of a cancelled project, or when other writers keep
 *   changing the task.
 */
export async function updateTask(
  db: Client,
  taskId: string,
  changes: UpdateTask,
  options: UpdateTaskOptions = {}
): Promise<Task> {
  // Every move to done, not only `completeTask`, may finish the last open
  // sibling, and the orchestrator must hear of it either way.
  const after = changes.status === 'done' ? finishingStatements : () => []
  const { task } = await changeTask(db, taskId, changes, after, options.check)
  return task
}

/**
 * `updateTask`, plus statements run in the same transaction right after the
 * change. They may test `changes() = 1` to run only if the change applied
 * (true for the first of them). Returns their results too.
 */
async function changeTask(
  db: Client,
  taskId: string,
  changes: UpdateTask,
  after: (task: Task) => InStatement[],
  check?: UpdateTaskOptions['check']
): Promise<{ task: Task; afterResults: ResultSet[] }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const task = await getTask(db, taskId)
    await check?.(task)
    if (changes.status !== undefined) {
      assertTransition(task.status, changes.status)
      await assertProjectOpen(db, task.project_id, 'its tasks can no longer move')
    }

    const results = await db.batch(
      [
        ...changeTaskStatements(task, changes, now(), check !== undefined),
        ...after(task),
        { sql: `${TASK_SELECT} WHERE t.id = ?`, args: [taskId] },
      ],
      'write'
    )

    const updated = results.at(-1)
    if (results[0]?.rowsAffected === 1 && updated) {
      return {
        task: firstRow<Task>(updated, TASK_COLUMNS) ?? task,
        afterResults: results.slice(2, -1),
      }
    }
  }
  throw new RelayError(
    'conflict',
    `Task '${taskId}' kept changing while it was being updated; read it again and retry`
  )
}

/** What `completeTask` reports beside the task. */
export interface Completion {
  task: Task
  /** Whether every task under the same parent is now done (or cancelled). */
  siblings_complete: boolean
  /** Whether this completion recorded an `orchestrator_trigger` event. */
  orchestrator_triggered: boolean
}

// Siblings count as finished when done or cancelled: a cancelled sibling must
// not keep the orchestrator from ever being triggered.
const OPEN_SIBLINGS = `SELECT 1 FROM tasks s WHERE s.project_id = t.project_id
  AND s.parent_task_id IS t.parent_task_id AND s.status NOT IN ('done', 'cancelled')`

/**
 * Moves a task to `done` (the state machine allows this from `in_review`)
 * and, when that finishes the last open task under its parent, records an
 * `orchestrator_trigger` event in the same transaction.
 *
 * @throws {RelayError} as `updateTask`.
 */
export async function completeTask(db: Client, taskId: string): Promise<Completion> {
  const { task, afterResults } = await changeTask(
    db,
    taskId,
    { status: 'done' },
    finishingStatements
  )

  const [trigger, siblings] = afterResults
  return {
    task,
    siblings_complete: Number(siblings?.rows[0]?.complete ?? 0) === 1,
    orchestrator_triggered: trigger?.rowsAffected === 1,
  }
}

// Run right after a task's move to done: records the orchestrator trigger if
// that move (`changes() = 1`) left no open sibling, then reports whether
// every sibling is finished.
function finishingStatements(task: Task): InStatement[] {
  return [
    recordEvent(
      'orchestrator_trigger',
      { sql: "json_object('parent_task_id', t.parent_task_id, 'project_id', t.project_id)" },
      {
        sql: `FROM tasks t WHERE t.id = ? AND changes() = 1 AND NOT EXISTS (${OPEN_SIBLINGS})`,
        args: [task.id],
      }
    ),
    {
      sql: `SELECT NOT EXISTS (${OPEN_SIBLINGS}) AS complete FROM tasks t WHERE t.id = ?`,
      args: [task.id],
    },
  ]
}
