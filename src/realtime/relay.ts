import type { Client } from '@libsql/client'

import { findStartPosition, markEventsConsumed, readEventsAfter } from '../db/events.js'
import { type Log, silentLog } from '../domain/log.js'
import type { Hub } from './hub.js'
import { resolveEvent } from './resolve-event.js'

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
export class EventRelay {
  readonly #db: Client
  readonly #hub: Hub
  readonly #log: Log
  #position = 0
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
   * Sets the starting position: just before the oldest event not yet marked
   * consumed, so that events written while no server ran still go out.
   *
   * @throws the client's `LibsqlError` when the database cannot be read.
   */
  async start(): Promise<void> {
    this.#position = await findStartPosition(this.#db)
  }

  /**
   * Delivers every event after the current position. Never rejects: a failed
   * read is logged and retried on the next call.
   */
  poll(): Promise<void> {
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
        while ((await this.#deliverPage()) === PAGE_SIZE) {
          // A full page: there may be more right behind it.
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

  async #deliverPage(): Promise<number> {
    const stored = await readEventsAfter(this.#db, this.#position, PAGE_SIZE)
    for (const row of stored) {
      this.#hub.broadcast(await resolveEvent(this.#db, row))
      this.#position = row.seq
    }
    if (stored.length > 0) {
      await markEventsConsumed(this.#db, this.#position)
    }
    return stored.length
  }
}
