import type {
  DurableObjectStub,
  ExecutionContext,
  Request as WorkerRequest,
} from '@cloudflare/workers-types/latest/index.ts'
import type { Client } from '@libsql/client/web'
import type { MiddlewareHandler } from 'hono'

import { version } from '../../package.json'
import { createApp } from '../http/app.js'
import { NOTIFY_PATH } from './worker-hub.js'
import { type WorkerEnv, boardTokenOf, connectDatabase, workerLog } from './worker-env.js'

export { BoardHub } from './worker-hub.js'

/** Every client of the board shares one hub, so one name. */
const HUB_NAME = 'board'

type App = ReturnType<typeof createApp>

function hubOf(env: WorkerEnv): DurableObjectStub {
  return env.BOARD_HUB.get(env.BOARD_HUB.idFromName(HUB_NAME))
}

// `GET /ws` is handed whole to the hub, which owns every socket. Without an
// upgrade header it falls through to a 404, as on Node.
const forwardToHub: MiddlewareHandler = async (c, next) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    await next()
    return
  }
  const env = c.env as WorkerEnv
  const response = await hubOf(env).fetch(c.req.raw as unknown as WorkerRequest)
  return response as unknown as Response
}

async function notifyHub(env: WorkerEnv): Promise<void> {
  try {
    const response = await hubOf(env).fetch(`https://hub${NOTIFY_PATH}`, { method: 'POST' })
    await response.body?.cancel()
  } catch (error) {
    // The next alarm delivers the event anyway, at most one interval later.
    workerLog('warn', `could not notify the websocket hub: ${describe(error)}`)
  }
}

function buildApp(db: Client, env: WorkerEnv): App {
  return createApp({
    db,
    log: workerLog,
    version,
    token: boardTokenOf(env),
    websocket: forwardToHub,
    // Timers run inside a request on Workers, which is all wait_for_events needs.
    mcp: { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    onWrite: (c) => {
      c.executionCtx.waitUntil(notifyHub(c.env as WorkerEnv))
    },
  })
}

// Built once per isolate, after the database is migrated; a failure is not
// kept, so the next request tries again.
let building: Promise<App> | undefined

function appFor(env: WorkerEnv): Promise<App> {
  building ??= connectDatabase(env)
    .then((db) => buildApp(db, env))
    .catch((error: unknown) => {
      building = undefined
      throw error
    })
  return building
}

const UNPROTECTED =
  'This board has no token: set the secret VIBE_RELAY_TOKEN ' +
  '(npx wrangler secret put VIBE_RELAY_TOKEN), or set VIBE_RELAY_PUBLIC = "true" ' +
  'in wrangler.toml [vars] to serve it to anyone'

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The board on Cloudflare Workers: the same Hono app as `vibe-relay serve`,
 * over a remote libSQL database (`VIBE_RELAY_DB`, `VIBE_RELAY_DB_TOKEN`),
 * with websockets held by the `BoardHub` Durable Object. Requests need the
 * bearer token `VIBE_RELAY_TOKEN`; without one, the board answers 503 unless
 * `VIBE_RELAY_PUBLIC` is `"true"`.
 */
export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    // A Worker is on the public internet: open only when the deployer says so.
    if (boardTokenOf(env) === undefined && env.VIBE_RELAY_PUBLIC?.trim() !== 'true') {
      return Response.json({ detail: UNPROTECTED }, { status: 503 })
    }
    let app: App
    try {
      app = await appFor(env)
    } catch (error) {
      workerLog('error', `the board could not start: ${describe(error)}`)
      return Response.json({ detail: 'Board unavailable; see the Worker logs' }, { status: 503 })
    }
    return app.fetch(request, env, ctx)
  },
}
