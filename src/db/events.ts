import type { Client, InStatement, InValue } from '@libsql/client'

import type { EventType } from '../domain/events.js'
import { newId, now } from './rows.js'

/** A row of the `events` table, with its payload parsed. */
export interface StoredEvent {
  /** The row's rowid: its position in the log. */
  seq: number
  id: string
  type: string
  /** The parsed JSON payload; `null` when a writer stored something that is not JSON. */
  payload: unknown
  created_at: string
}

/** A piece of SQL with the arguments of its `?` placeholders. */
export interface SqlFragment {
  sql: string
  args?: InValue[]
}

/**
 * A statement that records an event whose payload SQLite builds from rows of
 * the same transaction: `INSERT INTO events … SELECT <payload> <source>`.
 * When `source` selects no row, no event is written, which lets a batch
 * record an event only if its guarded UPDATE changed something.
 */
export function recordEvent(
  type: EventType,
  payload: SqlFragment,
  source: SqlFragment
): InStatement {
  return {
    sql: `INSERT INTO events (id, type, payload, created_at)
          SELECT ?, ?, ${payload.sql}, ? ${source.sql}`,
    args: [newId(), type, ...(payload.args ?? []), now(), ...(source.args ?? [])],
  }
}

/**
 * Reads up to `limit` events after position `afterSeq`, oldest first.
 *
 * @throws the client's `LibsqlError` when the database cannot be read.
 */
export async function readEventsAfter(
  db: Client,
  afterSeq: number,
  limit: number
): Promise<StoredEvent[]> {
  const result = await db.execute({
    sql: `SELECT rowid AS seq, id, type, payload, created_at FROM events
          WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    args: [afterSeq, limit],
  })
  return result.rows.map((row) => ({
    seq: Number(row.seq),
    id: row.id as string,
    type: row.type as string,
    payload: parsePayload(row.payload),
    created_at: row.created_at as string,
  }))
}

function parsePayload(raw: unknown): unknown {
  if (typeof raw !== 'string') {
    return null
  }
  try {
    return JSON.parse(raw)
  } catch {
    return null
  }
}

/**
 * Marks the events after position `after` up to position `seq` consumed, as
 * the Python broadcaster did. Delivery does not depend on the flag (each
 * server keeps its own position); it only tells where to resume after a
 * restart. A NULL flag (the Python column allows it) counts as unconsumed.
 */
export async function markEventsConsumed(db: Client, seq: number, after = 0): Promise<void> {
  await db.execute({
    sql: 'UPDATE events SET consumed = 1 WHERE rowid > ? AND rowid <= ? AND consumed IS NOT 1',
    args: [after, seq],
  })
}

/**
 * Where a server that is starting should begin reading the log: just before
 * the oldest unconsumed event, so that events nobody broadcast (a crash, a
 * server that was down while an agent worked) still go out; else at the end.
 */
export async function findStartPosition(db: Client): Promise<number> {
  const result = await db.execute(
    `SELECT coalesce(
       (SELECT min(rowid) - 1 FROM events WHERE consumed IS NOT 1),
       (SELECT max(rowid) FROM events),
       0) AS seq`
  )
  return Number(result.rows[0]?.seq ?? 0)
}

/** The position of the newest event, or 0 for an empty log. */
export async function findLatestPosition(db: Client): Promise<number> {
  const result = await db.execute('SELECT coalesce(max(rowid), 0) AS seq FROM events')
  return Number(result.rows[0]?.seq ?? 0)
}

/** The position of the oldest event still kept, or `null` for an empty log. */
export async function findOldestPosition(db: Client): Promise<number | null> {
  const result = await db.execute('SELECT min(rowid) AS seq FROM events')
  const seq = result.rows[0]?.seq
  return seq === null || seq === undefined ? null : Number(seq)
}

/**
 * Deletes consumed events created before `cutoff` (an ISO 8601 timestamp).
 * The newest event is always kept: SQLite gives a new row the largest rowid
 * plus one, so an emptied table would hand out old positions again.
 *
 * @returns how many events were deleted.
 */
export async function pruneEvents(db: Client, cutoff: string): Promise<number> {
  const result = await db.execute({
    sql: `DELETE FROM events WHERE consumed = 1 AND created_at < ?
          AND rowid < (SELECT max(rowid) FROM events)`,
    args: [cutoff],
  })
  return result.rowsAffected
}
