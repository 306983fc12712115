import type { Client, InStatement, ResultSet } from '@libsql/client'

import { RelayError } from '../domain/errors.js'
import type { Task, UpdateTask } from '../domain/schemas.js'
import { assertTransition } from '../domain/task-status.js'
import { recordEvent } from './events.js'
import { TASK_COLUMNS, firstRow, now } from './rows.js'
import { TASK_JSON, TASK_SELECT, assertProjectOpen, getTask } from './tasks.js'

// Changes to existing tasks: moves through the state machine, edits, the
// cancellation of a project's open tasks and the completion that may
// trigger the orchestrator. Creating and reading tasks is in tasks.ts.

// How often a guarded write is retried when another writer changed the task
// between our read and our write. Each retry re-checks the state machine
// against what is there now, so a refusal names the status actually found.
const MAX_ATTEMPTS = 5

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
