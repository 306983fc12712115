import type { Client } from '@libsql/client'

import type { Log } from '../domain/log.js'
import type { LiveEvents } from '../realtime/relay.js'

/** What the HTTP handlers are given by the entry that builds the app. */
export interface AppDeps {
  db: Client
  log: Log
  /** Live delivery for `/events` streams; absent where the runtime has none. */
  live: LiveEvents | undefined
}
