import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { Client } from '@libsql/client'

import { openDatabase, resolveDatabase } from '../../src/entry/database.js'

/** A migrated board database in a fresh temporary folder. */
export interface TempDatabase {
  db: Client
  /** The database file. */
  path: string
  /** The folder holding it, removed by `cleanup`. */
  dir: string
  cleanup(): Promise<void>
}

/** Makes a temporary folder for a test; `cleanup` removes it. */
export async function createTempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'vibe-relay-test-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * Opens a new board database file the way the CLI does (`resolveDatabase`
 * then `openDatabase`, which migrates it).
 */
export async function createTempDatabase(fileName = 'board.db'): Promise<TempDatabase> {
  const temp = await createTempDir()
  const path = join(temp.dir, fileName)
  const db = await openDatabaseAt(path)
  return {
    db,
    path,
    dir: temp.dir,
    cleanup: async () => {
      db.close()
      await temp.cleanup()
    },
  }
}

/** Opens (and migrates) the board database file at `path`. */
export function openDatabaseAt(path: string): Promise<Client> {
  return openDatabase(resolveDatabase({ flag: path, env: {}, cwd: tmpdir() }))
}

/** A row of the `events` table, payload parsed, in log order. */
export interface EventRow {
  seq: number
  id: string
  type: string
  payload: Record<string, unknown>
  created_at: string
  consumed: number
}

/** Every row of the `events` table, oldest first. */
export async function readEvents(db: Client): Promise<EventRow[]> {
  const result = await db.execute(
    'SELECT rowid AS seq, id, type, payload, created_at, consumed FROM events ORDER BY rowid'
  )
  return result.rows.map((row) => ({
    seq: Number(row.seq),
    id: row.id as string,
    type: row.type as string,
    payload: JSON.parse(row.payload as string) as Record<string, unknown>,
    created_at: row.created_at as string,
    consumed: Number(row.consumed),
  }))
}

/** The types of the events written after position `afterSeq`, oldest first. */
export async function eventTypesAfter(db: Client, afterSeq: number): Promise<string[]> {
  return (await readEvents(db)).filter((event) => event.seq > afterSeq).map((event) => event.type)
}

/** The position of the newest event (0 for none). */
export async function lastEventSeq(db: Client): Promise<number> {
  const result = await db.execute('SELECT coalesce(max(rowid), 0) AS seq FROM events')
  return Number(result.rows[0]?.seq ?? 0)
}

/** One row of a table as a plain object, or `undefined`. */
export async function selectRow(
  db: Client,
  table: 'projects' | 'tasks' | 'comments' | 'agent_runs',
  id: string
): Promise<Record<string, unknown> | undefined> {
  const result = await db.execute({ sql: `SELECT * FROM ${table} WHERE id = ?`, args: [id] })
  const row = result.rows[0]
  return row === undefined ? undefined : Object.fromEntries(result.columns.map((c) => [c, row[c]]))
}

/** How many rows a table holds. */
export async function countRows(db: Client, table: string): Promise<number> {
  const result = await db.execute(`SELECT count(*) AS n FROM ${table}`)
  return Number(result.rows[0]?.n ?? 0)
}
