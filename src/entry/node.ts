import { type FSWatcher, watch } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { basename, dirname } from 'node:path'

import { type ServerType, serve } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import type { Client } from '@libsql/client'
import type { Hono } from 'hono'
import type { WSContext } from 'hono/ws'
import type { WebSocket } from 'ws'

import type { Log } from '../domain/log.js'
import { createApp } from '../http/app.js'
import { Hub, type Socket } from '../realtime/hub.js'
import { EventRelay } from '../realtime/relay.js'
import { sleep } from './sleep.js'

/** How `startServer` is configured; the CLI fills it from flags. */
export interface ServerOptions {
  /** An open, migrated database; the server closes it on `close()`. */
  db: Client
  /** What log lines call the database (a path or a URL without credentials). */
  dbDisplay: string
  host: string
  /** 0 picks a free port. */
  port: number
  /** How often the event log is polled, in ms. */
  pollIntervalMs: number
  /**
   * The local database file, if any. Its WAL file is watched so that writes
   * by other processes are delivered at once instead of at the next poll.
   */
  localPath?: string | undefined
  /** How long delivered events are kept for resuming clients, in ms. Default: 7 days. */
  retentionMs?: number
  /** How often websocket clients are pinged; one that misses a ping is dropped. In ms. */
  heartbeatMs?: number
  /** Unsent bytes after which a client is dropped as too slow. Default: 8 MiB. */
  maxBufferedBytes?: number
  /** The shared secret every request must carry (`VIBE_RELAY_TOKEN`); unset: no auth. */
  token?: string | undefined
  log: Log
  version: string
}

/** A running server. */
export interface RunningServer {
  url: string
  port: number
  hub: Hub
  relay: EventRelay
  /** Closes websockets, stops polling, closes the HTTP server and the database. */
  close(): Promise<void>
}

/**
 * Serves the board on Node: the shared Hono app, websockets through
 * `@hono/node-ws`, and the timer that polls the event log.
 *
 * @throws when the port cannot be bound or the event log cannot be read.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { db, log } = options
  const hub = new Hub({ log, maxBufferedBytes: options.maxBufferedBytes })
  const relay = new EventRelay({ db, hub, log })
  await relay.start()
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000
  await relay.prune(retentionMs)

  // node-ws needs the app to answer upgrade requests, and the app needs
  // node-ws's upgrade handler for /ws: the app is looked up when a request
  // arrives, by which time it exists.
  type Request = Hono['request']
  const appRef: { request?: Request } = {}
  const lateApp = {
    request: (...args: Parameters<Request>) => {
      if (!appRef.request) {
        throw new Error('websocket upgrade before the app was built')
      }
      return appRef.request(...args)
    },
  }
  const nodeWs = createNodeWebSocket({ app: lateApp as unknown as Hono })

  const app = createApp({
    db,
    log,
    version: options.version,
    token: options.token,
    onWrite: () => void relay.poll({ markConsumed: false }),
    live: relay,
    mcp: { sleep },
    websocket: nodeWs.upgradeWebSocket((c) => {
      // The app checked both parameters before this handler runs.
      const projectId = c.req.query('project_id') ?? null
      const since = c.req.query('since')
      const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming
      const label = `websocket ${incoming?.socket?.remoteAddress ?? 'client'}`
      let socket: Socket | undefined
      return {
        onOpen: (_event, ws) => {
          socket = adaptSocket(ws)
          const subscription = { project_id: projectId, label }
          relay.subscribe(socket, subscription, since === undefined ? undefined : Number(since))
        },
        onClose: () => {
          if (socket) {
            relay.unsubscribe(socket)
          }
        },
      }
    }),
  })

  appRef.request = (...args) => app.request(...args)
  const server = await listen(app.fetch, options.host, options.port)
  nodeWs.injectWebSocket(server)

  const poller = setInterval(() => void relay.poll(), options.pollIntervalMs)
  const pruner = setInterval(() => {
    relay.prune(retentionMs).catch((error: unknown) => {
      log('error', `event pruning failed: ${String(error)}`)
    })
  }, 3600_000).unref()
  const walWatcher = options.localPath ? watchWal(options.localPath, relay, log) : undefined
  const heartbeat = startHeartbeat(nodeWs.wss.clients, options.heartbeatMs ?? 15_000)
  const port = (server.address() as AddressInfo).port
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${String(port)}`

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    hub,
    relay,
    close: () => {
      closing ??= (async () => {
        clearInterval(poller)
        clearInterval(pruner)
        clearInterval(heartbeat)
        walWatcher?.close()
        hub.closeAll()
        for (const client of nodeWs.wss.clients) {
          client.terminate()
        }
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve()
          })
          if ('closeAllConnections' in server) {
            server.closeAllConnections()
          }
        })
        db.close()
      })()
      return closing
    },
  }
}

// Another process's commit appends to the WAL file; watching the folder (the
// file comes and goes) turns that into an immediate poll. The change is seen
// when the frames are written, a moment before the commit is visible to
// readers (the writer updates the shared index last, and on a busy machine
// it may not run again at once), so a few more polls follow the last change
// at growing delays. The interval poll stays as the fallback where change
// notifications are missing.
const WAL_SETTLE_MS = [5, 20, 60, 150]

function watchWal(dbPath: string, relay: EventRelay, log: Log): FSWatcher | undefined {
  const walName = `${basename(dbPath)}-wal`
  let settling: NodeJS.Timeout[] = []
  const poll = () => void relay.poll({ markConsumed: false })
  try {
    const watcher = watch(dirname(dbPath), (_event, filename) => {
      if (filename !== walName) {
        return
      }
      poll()
      settling.forEach(clearTimeout)
      settling = WAL_SETTLE_MS.map((delay) => setTimeout(poll, delay))
    })
    watcher.on('error', (error) => {
      log('warn', `watching ${walName} failed, polling only: ${error.message}`)
    })
    watcher.on('close', () => {
      settling.forEach(clearTimeout)
    })
    return watcher
  } catch (error) {
    log('warn', `cannot watch ${walName}, polling only: ${String(error)}`)
    return undefined
  }
}

function adaptSocket(ws: WSContext): Socket {
  const raw = ws.raw as WebSocket | undefined
  return {
    send: (data) => {
      ws.send(data)
    },
    close: (code, reason) => {
      ws.close(code, reason)
    },
    get bufferedAmount() {
      return raw?.bufferedAmount ?? 0
    },
  }
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, () => {
      resolve(server)
    })
    server.once('error', reject)
  })
}

// Pings every client on an interval; one that has not answered the previous
// ping by the next (a laptop that slept, a half-open TCP connection) is
// terminated, which fires its close handler and removes it from the hub.
function startHeartbeat(clients: Set<WebSocket>, intervalMs: number): NodeJS.Timeout {
  const alive = new WeakSet<WebSocket>()
  const watched = new WeakSet<WebSocket>()
  return setInterval(() => {
    for (const client of clients) {
      if (!watched.has(client)) {
        watched.add(client)
        alive.add(client)
        client.on('pong', () => {
          alive.add(client)
        })
      }
      if (!alive.has(client)) {
        client.terminate()
        continue
      }
      alive.delete(client)
      client.ping()
    }
  }, intervalMs).unref()
}
