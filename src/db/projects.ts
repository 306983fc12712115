import type { Client } from '@libsql/client'

import { notFound } from '../domain/errors.js'
import { ROOT_TASK_PREFIX } from '../domain/limits.js'
import type {
  CreateProject,
  CreatedProject,
  Project,
  ProjectDetail,
  Task,
  TaskCounts,
} from '../domain/schemas.js'
import { TASK_STATUSES, type TaskStatus } from '../domain/vocabulary.js'
import { recordEvent } from './events.js'
import {
  PROJECT_COLUMNS,
  TASK_COLUMNS,
  firstRow,
  jsonObjectOf,
  newId,
  now,
  rowsToObjects,
  selectList,
} from './rows.js'
import { insertTaskStatements } from './tasks.js'
import { cancelTaskStatements } from './task-changes.js'

const PROJECT_SELECT = `SELECT ${selectList(PROJECT_COLUMNS, 'p')} FROM projects p`
const PROJECT_JSON = jsonObjectOf(PROJECT_COLUMNS, 'p')
const OPEN_TASKS = `SELECT ${selectList(TASK_COLUMNS, 't')} FROM tasks t
  WHERE t.project_id = ? AND t.status NOT IN ('done', 'cancelled')`

// Rounds of `cancelProject` before it settles for what it could cancel.
const MAX_ATTEMPTS = 5

/** Every project, newest first. */
export async function listProjects(db: Client): Promise<Project[]> {
  const result = await db.execute(`${PROJECT_SELECT} ORDER BY p.created_at DESC, p.rowid DESC`)
  return rowsToObjects<Project>(result, PROJECT_COLUMNS)
}

/** One project, or `null` when no project has that id. */
export async function findProject(db: Client, projectId: string): Promise<Project | null> {
  const result = await db.execute({ sql: `${PROJECT_SELECT} WHERE p.id = ?`, args: [projectId] })
  return firstRow<Project>(result, PROJECT_COLUMNS)
}

/**
 * One project with how many of its tasks are in each status (all five
 * statuses, zeros included).
 *
 * @throws {RelayError} `not_found` when no project has that id.
 */
export async function getProjectDetail(db: Client, projectId: string): Promise<ProjectDetail> {
  // One statement, so one snapshot: a row per status that has tasks, or one
  // row with a NULL status for a project without tasks; none for no project.
  const result = await db.execute({
    sql: `SELECT ${selectList(PROJECT_COLUMNS, 'p')}, t.status AS task_status, count(t.id) AS n
          FROM projects p LEFT JOIN tasks t ON t.project_id = p.id
          WHERE p.id = ? GROUP BY t.status`,
    args: [projectId],
  })
  const project = firstRow<Project>(result, PROJECT_COLUMNS)
  if (!project) {
    throw notFound('Project', projectId)
  }

  const tasks = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as TaskCounts
  for (const row of result.rows) {
    const status = row.task_status as TaskStatus | null
    if (status !== null && status in tasks) {
      tasks[status] = Number(row.n)
    }
  }
  return { ...project, tasks }
}

/**
 * Creates a project and its root planning task (phase `planner`, status
 * `backlog`, titled `Plan: <title>`), with a `project_created` and a
 * `task_created` event, in one transaction.
 */
export async function createProject(db: Client, input: CreateProject): Promise<CreatedProject> {
  const timestamp = now()
  const project: Project = {
    id: newId(),
    title: input.title,
    description: input.description,
    status: 'active',
    created_at: timestamp,
    updated_at: timestamp,
  }
  const rootTask: Task = {
    id: newId(),
    project_id: project.id,
    parent_task_id: null,
    title: `${ROOT_TASK_PREFIX}${input.title}`,
    description: input.description,
    phase: 'planner',
    status: 'backlog',
    branch: null,
    worktree_path: null,
    session_id: null,
    created_at: timestamp,
    updated_at: timestamp,
  }

  await db.batch(
    [
      {
        sql: `INSERT INTO projects (${PROJECT_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?)`,
        args: PROJECT_COLUMNS.map((column) => project[column]),
      },
      recordEvent(
        'project_created',
        { sql: `json_object('project_id', p.id, 'project', ${PROJECT_JSON})` },
        { sql: 'FROM projects p WHERE p.id = ?', args: [project.id] }
      ),
      ...insertTaskStatements(rootTask),
    ],
    'write'
  )
  return { project, task: rootTask }
}

/**
 * Cancels a project (status `cancelled`) and every task of it that is not
 * done or cancelled yet, in one transaction, with a `project_updated` event
 * and a `task_updated` event per cancelled task. Cancelling a cancelled
 * project changes nothing and records no event.
 *
 * @throws {RelayError} `not_found` when no project has that id.
 */
export async function cancelProject(db: Client, projectId: string): Promise<Project> {
  // The open tasks are read before the write transaction; one that another
  // writer moves or creates meanwhile is missed by its guarded UPDATE, so the
  // transaction reports what is still open and the loop goes round again.
  for (let attempt = 1; ; attempt++) {
    const openTasks = await db.execute({
      sql: `${OPEN_TASKS} ORDER BY t.created_at, t.rowid`,
      args: [projectId],
    })
    const timestamp = now()

    const results = await db.batch(
      [
        {
          sql: `UPDATE projects SET status = 'cancelled', updated_at = ?
                WHERE id = ? AND status != 'cancelled'`,
          args: [timestamp, projectId],
        },
        recordEvent(
          'project_updated',
          {
            sql: `json_object('project_id', p.id, 'status', p.status, 'project', ${PROJECT_JSON})`,
          },
          { sql: 'FROM projects p WHERE p.id = ? AND changes() = 1', args: [projectId] }
        ),
        ...rowsToObjects<Task>(openTasks, TASK_COLUMNS).flatMap((task) =>
          cancelTaskStatements(task, timestamp)
        ),
        { sql: `SELECT count(*) AS n FROM (${OPEN_TASKS})`, args: [projectId] },
        { sql: `${PROJECT_SELECT} WHERE p.id = ?`, args: [projectId] },
      ],
      'write'
    )

    const [stillOpen, selected] = results.slice(-2)
    const project = selected ? firstRow<Project>(selected, PROJECT_COLUMNS) : null
    if (!project) {
      throw notFound('Project', projectId)
    }
    if (Number(stillOpen?.rows[0]?.n ?? 0) === 0 || attempt === MAX_ATTEMPTS) {
      return project
    }
  }
}
