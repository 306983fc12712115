import type { Client } from '@libsql/client'

import {
  findLatestPosition,
  findOldestPosition,
  findStartPosition,
  markEventsConsumed,
  pruneEvents,
  readEventsAfter,
} from '../db/events.js'
import type { BoardEvent } from '../domain/events.js'
import { type Log, silentLog } from '../domain/log.js'
import type { Hub, Socket, Subscription } from './hub.js'
import { resolveEvent } from './resolve-event.js'

/**
 * Live board events for transports (websocket, server-sent events): what the
 * HTTP layer needs of a relay.
 */
export interface LiveEvents {
  /**
   * Starts sending events to `socket`. With `since`, the client first gets
   * every kept event after that position, then live ones, with no gap and no
   * duplicate at the seam; without it, only events from now on.
   */
  subscribe(socket: Socket, subscription: Subscription, since?: number): void
  /** Stops sending to `socket`. */
  unsubscribe(socket: Socket): void
}

interface PendingClient {
  socket: Socket
  subscription: Subscription
  since: number
}

/** Events read from the log per query; more are read at once when there are. */
const PAGE_SIZE = 200

/**
 * Carries events from the `events` table to a hub. Each relay keeps its own
 * position in the log, so every server process on one database delivers
 * every event to its own clients once, in log order. Rows are still marked
 * consumed, as the Python version did, which tells a restarted server where
 * to resume.
 *
 * The relay owns no timer: its runtime calls `poll()` on an interval and
 * after its own writes. Calls never overlap: one made while a poll runs
 * makes that poll go round once more.
 */
export class EventRelay implements LiveEvents {
  readonly #db: Client
  readonly #hub: Hub
  readonly #log: Log
  readonly #pending: PendingClient[] = []
  #position = 0
  /** The position up to which events are marked consumed. */
  #markedUpTo = 0
  #markRequested = false
  #running: Promise<void> | null = null
  #again = false

  constructor(options: { db: Client; hub: Hub; log?: Log }) {
    this.#db = options.db
    this.#hub = options.hub
    this.#log = options.log ?? silentLog
  }

  /** The position of the last event delivered. */
  get position(): number {
    return this.#position
  }

  /**
   * Sets the starting position: `position` when given (a runtime that saved
   * it, such as a Durable Object waking up), else just before the oldest
   * event not yet marked consumed, so that events written while no server
   * ran still go out. Call it only while no poll runs.
   *
   * @throws the client's `LibsqlError` when the database cannot be read.
   */
  async start(position?: number): Promise<void> {
    this.#position = position ?? (await findStartPosition(this.#db))
    this.#markedUpTo = this.#position
  }

  subscribe(socket: Socket, subscription: Subscription, since?: number): void {
    if (since === undefined) {
      this.#hub.add(socket, subscription, this.#position)
      return
    }
    // The backlog is sent from inside the poll loop, where no broadcast can
    // run at the same time: that is what keeps the seam free of gaps and
    // duplicates.
    this.#pending.push({ socket, subscription, since })
    void this.poll()
  }

  unsubscribe(socket: Socket): void {
    const index = this.#pending.findIndex((pending) => pending.socket === socket)
    if (index >= 0) {
      this.#pending.splice(index, 1)
    }
    this.#hub.remove(socket)
  }

  /**
   * Deletes consumed events older than `retentionMs`; a client resuming from
   * before what is kept is told to reload the board.
   *
   * @returns how many events were deleted.
   * @throws the client's `LibsqlError` when the database cannot be written.
   */
  async prune(retentionMs: number, nowMs = Date.now()): Promise<number> {
    return pruneEvents(this.#db, new Date(nowMs - retentionMs).toISOString())
  }

  /**
   * Delivers every event after the current position, then marks what was
   * delivered consumed. Never rejects: a failed read is logged and retried
   * on the next call.
   *
   * @param options.markConsumed `false` skips the marking write, for the
   *   extra polls after each write: marking on the interval's polls only
   *   keeps a write to one commit. The cost: events delivered less than an
   *   interval before a crash are sent again after the restart (clients
   *   can tell by `seq`).
   */
  poll(options: { markConsumed?: boolean } = {}): Promise<void> {
    this.#markRequested ||= options.markConsumed ?? true
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = this.#drain().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false
      try {
        await this.#attachPending()
        while ((await this.#deliverPage()) === PAGE_SIZE) {
          // A full page: there may be more right behind it.
        }
        if (this.#markRequested && this.#position > this.#markedUpTo) {
          this.#markRequested = false
          const upTo = this.#position
          await markEventsConsumed(this.#db, upTo, this.#markedUpTo)
          this.#markedUpTo = upTo
        }
      } catch (error) {
        this.#log(
          'error',
          `event poll failed: ${error instanceof Error ? error.message : String(error)}`
        )
        return
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- poll() sets it meanwhile
    } while (this.#again)
  }

  async #attachPending(): Promise<void> {
    for (const { socket, subscription, since } of this.#pending.splice(0)) {
      // A position before what is kept has lost events; one past the end of
      // the log comes from another database (or one that was recreated).
      // Either way the client must reload the board.
      const [oldest, latest] = await Promise.all([
        findOldestPosition(this.#db),
        findLatestPosition(this.#db),
      ])
      if ((oldest !== null && since < oldest - 1) || since > latest) {
        this.#hub.add(socket, subscription, this.#position)
        this.#hub.notice(socket, resyncNotice(since, this.#position))
        continue
      }

      this.#hub.add(socket, subscription, since)
      let after = since
      while (after < this.#position && this.#hub.has(socket)) {
        const rows = await readEventsAfter(this.#db, after, PAGE_SIZE)
        const backlog = rows.filter((row) => row.seq <= this.#position)
        for (const row of backlog) {
          this.#hub.send(socket, await resolveEvent(this.#db, row))
        }
        after = backlog.at(-1)?.seq ?? this.#position
      }
    }
  }

  async #deliverPage(): Promise<number> {
    const stored = await readEventsAfter(this.#db, this.#position, PAGE_SIZE)
    for (const row of stored) {
      this.#hub.broadcast(await resolveEvent(this.#db, row))
      this.#position = row.seq
    }
    return stored.length
  }
}

/**
 * The message for a client that asked to resume from a position whose
 * events were already pruned: it has missed changes and must reload.
 */
function resyncNotice(since: number, position: number): BoardEvent {
  return {
    type: 'resync_required',
    seq: position,
    project_id: null,
    payload: {
      detail:
        `Events after seq ${String(since)} are not in this board's log (pruned, or ` +
        `from another database). Reload the board (GET /projects/{id}/tasks), then ` +
        `resume with since=${String(position)}.`,
      since,
      resume_from: position,
    },
  }
}
