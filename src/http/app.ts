import type { Client } from '@libsql/client'
import { swaggerUI } from '@hono/swagger-ui'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { methodNotAllowed } from 'hono/method-not-allowed'

import { type Log, silentLog } from '../domain/log.js'
import { mcpRoutes } from '../mcp/http.js'
import type { Sleep } from '../mcp/wait-for-events.js'
import type { LiveEvents } from '../realtime/relay.js'
import { requireToken } from './auth.js'
import type { AppDeps } from './deps.js'
import { createErrorHandler } from './errors.js'
import { eventRoutes } from './events.js'
import { idempotency } from './idempotency.js'
import { parseLiveQuery } from './live-query.js'
import { accessLog, limitBody, notifyOnWrite } from './middleware.js'
import { openApiDocument } from './openapi.js'
import { projectRoutes } from './projects.js'
import { taskRoutes } from './tasks.js'

/** What `createApp` needs; everything runtime-specific is handed in. */
export interface AppOptions {
  /** The board database, already migrated. */
  db: Client
  /**
   * Handles `GET /ws`: the runtime's websocket upgrade (`@hono/node-ws` on
   * Node, a Durable Object on Workers). Without it, `/ws` answers 426.
   */
  websocket?: MiddlewareHandler
  /**
   * Called after every successful write, to deliver its event without
   * waiting for a poll. Gets the request's context, e.g. for a Worker's
   * `c.executionCtx.waitUntil`.
   */
  onWrite?: (c: Context) => void
  /** Live delivery for `GET /events` streams (the Node entry's relay). */
  live?: LiveEvents
  /**
   * Serves the MCP tools at `POST /mcp` (Streamable HTTP). `sleep` is the
   * runtime's timer, for `wait_for_events`. Without it, `/mcp` answers 404.
   */
  mcp?: { sleep: Sleep }
  /**
   * A shared secret that every request except CORS preflights, `/docs` and
   * `/openapi.json` must carry (see `requireToken`). Without it, the board
   * is open to anyone who can reach it. Must not be empty.
   */
  token?: string | undefined
  /** Access-log and error lines. Default: none. */
  log?: Log
  /** Version reported in `/openapi.json`. */
  version?: string
}

/**
 * Builds the vibe-relay HTTP app: every REST route of the board, `/ws`,
 * `/openapi.json` and `/docs`, with CORS open to all origins and every error
 * in the `{ "detail": … }` envelope. Uses no runtime-specific API.
 */
export function createApp(options: AppOptions) {
  const log = options.log ?? silentLog
  const deps: AppDeps = { db: options.db, log, live: options.live }

  const app = new Hono()
  app.onError(createErrorHandler(log))
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404))
  app.use(accessLog(log))
  // Browsers hide response headers from scripts unless they are exposed.
  app.use(cors({ exposeHeaders: ['ETag', 'Idempotent-Replayed'] }))
  if (options.token !== undefined) {
    app.use(requireToken(options.token))
  }
  app.use(methodNotAllowed({ app, onMethodNotAllowed }))
  app.use(limitBody)
  if (options.onWrite) {
    app.use(notifyOnWrite(options.onWrite))
  }
  const runOnce = idempotency(deps)
  for (const path of ['/projects', '/projects/:project_id/tasks', '/tasks/:task_id/comments']) {
    app.post(path, runOnce)
  }

  const routes = app
    .route('/', projectRoutes(deps))
    .route('/', taskRoutes(deps))
    .route('/', eventRoutes(deps))
    .get(
      '/ws',
      async (c, next) => {
        // Refuse a bad ?since= or ?project_id= before upgrading, with a 422.
        parseLiveQuery(c)
        await next()
      },
      options.websocket ?? ((_c, next) => next()),
      // Reached when the request was no websocket upgrade (or the runtime has
      // no websockets).
      (c) =>
        c.json({ detail: 'Upgrade Required: connect to /ws with a websocket client' }, 426, {
          Upgrade: 'websocket',
        })
    )

  if (options.mcp) {
    app.route(
      '/',
      mcpRoutes({ db: options.db, log, sleep: options.mcp.sleep, version: options.version })
    )
  }
  app.get('/openapi.json', openApiDocument(app, options.version ?? '0.0.0'))
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'vibe-relay API' }))
  return routes
}

function onMethodNotAllowed(c: Context, methods: string[]): Response {
  return c.json(
    { detail: `Method ${c.req.method} not allowed here; use ${methods.join(', ')}` },
    405,
    { Allow: methods.join(', ') }
  )
}

/** The app's type, for Hono's typed client: `hc<AppType>(url)`. */
export type AppType = ReturnType<typeof createApp>
