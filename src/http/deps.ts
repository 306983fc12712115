import type { Client } from '@libsql/client'

import type { Log } from '../domain/log.js'

/** What the HTTP handlers are given by the entry that builds the app. */
export interface AppDeps {
  db: Client
  log: Log
}
