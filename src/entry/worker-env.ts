import { type Client, createClient } from '@libsql/client/web'
import type { DurableObjectNamespace } from '@cloudflare/workers-types/latest/index.ts'

import { migrateDatabase } from '../db/schema.js'
import type { Log } from '../domain/log.js'

/** The Worker's bindings, as `wrangler.toml` and `wrangler secret put` set them. */
export interface WorkerEnv {
  /** The board database: a `libsql://`, `https://` or `http://` URL (Turso or another sqld). */
  VIBE_RELAY_DB?: string
  /** The database's auth token: a secret, never a var. */
  VIBE_RELAY_DB_TOKEN?: string
  /** The board's own bearer token (a secret). */
  VIBE_RELAY_TOKEN?: string
  /** `"true"` serves a board without `VIBE_RELAY_TOKEN` to anyone; otherwise it is refused. */
  VIBE_RELAY_PUBLIC?: string
  /** How often the hub polls the event log while clients are connected, in ms. Default 500. */
  VIBE_RELAY_POLL_INTERVAL_MS?: string
  /** The Durable Object that holds every websocket. */
  BOARD_HUB: DurableObjectNamespace
}

/** The poll interval of the spec, in ms. */
const DEFAULT_POLL_INTERVAL_MS = 500

/** Worker log lines go to the Workers console (`wrangler tail`, the dashboard). */
export const workerLog: Log = (level, message) => {
  if (level === 'error') {
    console.error(message)
  } else if (level === 'warn') {
    console.warn(message)
  } else {
    console.log(message)
  }
}

/** The configured poll interval in ms: `VIBE_RELAY_POLL_INTERVAL_MS` from 10 to 60000, else 500. */
export function pollIntervalOf(env: WorkerEnv): number {
  const value = Number(env.VIBE_RELAY_POLL_INTERVAL_MS)
  return Number.isInteger(value) && value >= 10 && value <= 60_000
    ? value
    : DEFAULT_POLL_INTERVAL_MS
}

/** The database URL for log lines: host and path, never the token or a query. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
  } catch {
    return 'an unparsable URL'
  }
}

// One client per isolate, migrated once: the Worker and the Durable Object
// share it when they run in the same isolate. A failed migration is not
// kept, so the next request tries again.
let connecting: Promise<Client> | undefined

/**
 * The board database over `@libsql/client/web` (fetch only), migrated on
 * first use in this isolate.
 *
 * @throws {Error} when `VIBE_RELAY_DB` is unset; the client's `LibsqlError`
 *   when the database cannot be reached or migrated.
 */
export function connectDatabase(env: WorkerEnv, log: Log = workerLog): Promise<Client> {
  connecting ??= openAndMigrate(env, log).catch((error: unknown) => {
    connecting = undefined
    throw error
  })
  return connecting
}

async function openAndMigrate(env: WorkerEnv, log: Log): Promise<Client> {
  const url = env.VIBE_RELAY_DB?.trim() ?? ''
  if (url === '') {
    throw new Error(
      'VIBE_RELAY_DB is not set: put the libSQL database URL in wrangler.toml [vars] ' +
        'and its token in the secret VIBE_RELAY_DB_TOKEN'
    )
  }
  const db = createClient({ url, authToken: env.VIBE_RELAY_DB_TOKEN })
  try {
    await migrateDatabase(db, { isLocal: false })
  } catch (error) {
    db.close()
    throw error
  }
  log(
    'info',
    `vibe-relay worker ready (database ${describeDatabase(url)}, ` +
      `polling events every ${String(pollIntervalOf(env))} ms while websockets are open)`
  )
  return db
}

/** The board's bearer token, as the CLI reads it: an empty value counts as unset. */
export function boardTokenOf(env: WorkerEnv): string | undefined {
  const token = env.VIBE_RELAY_TOKEN?.trim()
  return token === undefined || token === '' ? undefined : token
}
