import type { ResultSet, Row } from '@libsql/client'

import type { AgentRun, Comment, Project, Task } from '../domain/schemas.js'

/** Columns of each table, in the order the API returns them. */
export const PROJECT_COLUMNS = [
  'id',
  'title',
  'description',
  'status',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof Project)[]

export const TASK_COLUMNS = [
  'id',
  'project_id',
  'parent_task_id',
  'title',
  'description',
  'phase',
  'status',
  'branch',
  'worktree_path',
  'session_id',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof Task)[]

export const COMMENT_COLUMNS = [
  'id',
  'task_id',
  'author_role',
  'content',
  'created_at',
] as const satisfies readonly (keyof Comment)[]

export const AGENT_RUN_COLUMNS = [
  'id',
  'task_id',
  'phase',
  'started_at',
  'completed_at',
  'exit_code',
  'error',
] as const satisfies readonly (keyof AgentRun)[]

/** `a.col1, a.col2, …` for a SELECT list. */
export function selectList(columns: readonly string[], alias: string): string {
  return columns.map((column) => `${alias}.${column}`).join(', ')
}

/**
 * `json_object('col1', a.col1, …)`: the row as JSON, built by SQLite inside
 * the same transaction that wrote it, so an event carries exactly what was
 * committed.
 */
export function jsonObjectOf(columns: readonly string[], alias: string): string {
  return `json_object(${columns.map((column) => `'${column}', ${alias}.${column}`).join(', ')})`
}

/**
 * Copies the named columns of a result row into a plain object. The row's
 * types are trusted: the database contract (CONTEXT.md) fixes them.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the row type
export function rowToObject<T>(row: Row, columns: readonly string[]): T {
  const object: Record<string, unknown> = {}
  for (const column of columns) {
    object[column] = row[column] ?? null
  }
  return object as T
}

/** All rows of a result as objects of the given columns. */
export function rowsToObjects<T>(result: ResultSet, columns: readonly string[]): T[] {
  return result.rows.map((row) => rowToObject<T>(row, columns))
}

/** The first row of a result as an object, or `null` when there is none. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the row type
export function firstRow<T>(result: ResultSet, columns: readonly string[]): T | null {
  const row = result.rows[0]
  return row === undefined ? null : rowToObject<T>(row, columns)
}

/** The current time as an ISO 8601 UTC string, the format of every timestamp column. */
export function now(): string {
  return new Date().toISOString()
}

/** A new random UUID, the format of every id column. */
export function newId(): string {
  return crypto.randomUUID()
}
