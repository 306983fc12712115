import WebSocket from 'ws'

import { openDatabase, resolveDatabase } from '../../src/entry/database.js'
import { type RunningServer, type ServerOptions, startServer } from '../../src/entry/node.js'
import type { ReceivedEvent } from './fake-socket.js'

/**
 * Starts the real Node server on a loopback port (0: a free one) over the
 * database file at `dbPath`, polling every 500 ms and watching the WAL file
 * as `vibe-relay serve` does by default; `options` overrides any of that.
 */
export async function startTestServer(dbPath: string, options: Partial<ServerOptions> = {}) {
  const location = resolveDatabase({ flag: dbPath, env: {}, cwd: process.cwd() })
  const db = await openDatabase(location)
  try {
    return await startServer({
      db,
      dbDisplay: location.display,
      localPath: location.display,
      host: '127.0.0.1',
      port: 0,
      pollIntervalMs: 500,
      log: () => undefined,
      version: 'test',
      ...options,
    })
  } catch (error) {
    db.close()
    throw error
  }
}

/** The websocket URL of a running server, with an optional query such as `?since=4`. */
export function wsUrl(server: { url: string }, query = ''): string {
  return `${server.url.replace(/^http/, 'ws')}/ws${query}`
}

/** A real websocket client that keeps every event it receives. */
export interface WsClient {
  ws: WebSocket
  /** The subprotocol the server chose ('' for none). */
  protocol: string
  events: ReceivedEvent[]
  /** Resolves with the first event (already received or coming) that matches; default 1 s. */
  waitFor(predicate: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>
  /** Resolves with the close code once the server closes the connection. */
  closed: Promise<number>
  close(): void
}

export async function connectClient(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {}
): Promise<WsClient> {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} })
  const events: ReceivedEvent[] = []
  const waiters = new Set<() => void>()
  ws.on('message', (data: Buffer) => {
    events.push(JSON.parse(data.toString('utf8')) as ReceivedEvent)
    for (const wake of waiters) {
      wake()
    }
  })
  const closed = new Promise<number>((resolve) => {
    ws.once('close', (code) => {
      resolve(code)
    })
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })

  return {
    ws,
    protocol: ws.protocol,
    events,
    closed,
    close: () => {
      ws.terminate()
    },
    waitFor: (predicate, timeoutMs = 1000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate)
          if (found) {
            clearTimeout(timer)
            waiters.delete(check)
            resolve(found)
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching event within ${String(timeoutMs)} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
  }
}

/** Waits until `condition` holds, checking every 10 ms, or fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${String(timeoutMs)} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Sends a JSON request to a running server and parses the answer. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body type
export async function request<T>(
  server: RunningServer,
  method: string,
  path: string,
  body?: unknown
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as T }
}
