import type { Client } from '@libsql/client'

import { findLatestPosition, findOldestPosition, readEventsAfter } from '../db/events.js'
import type { BoardEvent } from '../domain/events.js'
import { resolveEvent } from '../realtime/resolve-event.js'

/**
 * Resolves after `ms` milliseconds: the runtime's timer, handed down by the
 * entry (code outside `src/entry/` has no timers of its own).
 */
export type Sleep = (ms: number) => Promise<void>

/** What `wait_for_events` was asked for. */
export interface EventQuery {
  /** Events after this position; `undefined` for events from now on. */
  since?: number | undefined
  /** Only this project's events. */
  project_id?: string | undefined
  /** How long to wait for the first event, in seconds. */
  timeout_s: number
}

/** What `wait_for_events` returns. */
export interface EventBatch {
  /** The matching events, oldest first, each with the full current object. */
  events: BoardEvent[]
  /** The position to pass as `since` next time: every event up to it has been seen. */
  next_since: number
  /**
   * Set when `since` is not in this board's log (pruned, or from another
   * database): events were missed, so the caller should read the board again
   * and go on from `next_since`.
   */
  resync_required?: true
  detail?: string
}

/** How `waitForEvents` waits. */
export interface WaitOptions {
  sleep: Sleep
  /** Stops the wait early (the client cancelled, or went away). */
  signal?: AbortSignal | undefined
  /** How often the log is read while waiting, in ms. Default 250. */
  pollMs?: number
  /** Most events returned at once; the rest come with the next call. Default 100. */
  limit?: number
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number
}

/**
 * Returns the events after `query.since` (or after the newest event, when
 * not given), as websocket clients receive them. When there is none yet,
 * reads the log again every `pollMs` until one arrives or `timeout_s` has
 * passed; a timed-out wait returns no events. Rows of other projects are
 * skipped but still move `next_since` on.
 *
 * @throws the client's `LibsqlError` when the log cannot be read.
 */
export async function waitForEvents(
  db: Client,
  query: EventQuery,
  options: WaitOptions
): Promise<EventBatch> {
  const now = options.now ?? Date.now
  const pollMs = options.pollMs ?? 250
  const limit = options.limit ?? 100
  const deadline = now() + query.timeout_s * 1000
  const latest = await findLatestPosition(db)
  if (query.since !== undefined) {
    const oldest = await findOldestPosition(db)
    if ((oldest !== null && query.since < oldest - 1) || query.since > latest) {
      return {
        events: [],
        next_since: latest,
        resync_required: true,
        detail:
          `Events after seq ${String(query.since)} are not in this board's log (pruned, or ` +
          `from another database). Read the board again (get_board), then wait with ` +
          `since=${String(latest)}.`,
      }
    }
  }
  let after = query.since ?? latest

  for (;;) {
    const rows = await readEventsAfter(db, after, limit)
    const events: BoardEvent[] = []
    for (const row of rows) {
      const event = await resolveEvent(db, row)
      if (query.project_id === undefined || event.project_id === query.project_id) {
        events.push(event)
      }
    }
    after = rows.at(-1)?.seq ?? after

    if (events.length > 0) {
      return { events, next_since: after }
    }
    // A full page of other projects' events: there may be more right behind it.
    if (rows.length === limit) {
      continue
    }
    const remaining = deadline - now()
    if (remaining <= 0 || options.signal?.aborted) {
      return { events, next_since: after }
    }
    await options.sleep(Math.min(pollMs, remaining))
  }
}
