// What the contract suite runs against: a target is a board server on a
// loopback port plus the database file behind it, started the way that
// runtime runs in real use. Also a websocket client that records events.
import { join } from 'node:path'

import { openDatabase, resolveDatabase } from '../../src/entry/database.js'
import { startServer } from '../../src/entry/node.js'
import { createTempDir } from '../helpers/database.js'
import type { ReceivedEvent } from '../helpers/fake-socket.js'
import { connectClient, wsUrl } from '../helpers/server.js'
import { startLibsqlHttpServer } from '../helpers/libsql-http-server.js'
import { startWorker } from '../helpers/worker.js'

/** The board token every target requires, as a deployed board should. */
export const BOARD_TOKEN = 'board-token-for-tests'

/** A running board server and its database file. */
export interface Target {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** The bearer token it requires. */
  token: string
  /** The database file, for writing straight into it as another process would. */
  dbPath: string
  close(): Promise<void>
}

/** `vibe-relay serve`: the Node entry on a temporary database file, polling every 500 ms. */
export async function startNodeTarget(): Promise<Target> {
  const temp = await createTempDir()
  const location = resolveDatabase({ flag: join(temp.dir, 'board.db'), env: {}, cwd: temp.dir })
  const server = await startServer({
    db: await openDatabase(location),
    dbDisplay: location.display,
    localPath: location.display,
    host: '127.0.0.1',
    port: 0,
    pollIntervalMs: 500,
    token: BOARD_TOKEN,
    log: () => undefined,
    version: 'test',
  })
  return {
    url: server.url,
    token: BOARD_TOKEN,
    dbPath: location.display,
    close: async () => {
      await server.close()
      await temp.cleanup()
    },
  }
}

/**
 * The Worker in workerd, its database a file behind the test libSQL server
 * (reached over HTTP with a bearer token, as Turso is).
 */
export async function startWorkerTarget(
  options: { pollIntervalMs?: number; boardToken?: string | undefined; isPublic?: boolean } = {}
): Promise<Target> {
  const boardToken = 'boardToken' in options ? options.boardToken : BOARD_TOKEN
  const temp = await createTempDir()
  const dbPath = join(temp.dir, 'board.db')
  const dbToken = 'database-token-for-tests'
  const libsql = await startLibsqlHttpServer({ path: dbPath, authToken: dbToken })
  try {
    const worker = await startWorker({ dbUrl: libsql.url, dbToken, ...options, boardToken })
    return {
      url: worker.url,
      token: boardToken ?? '',
      dbPath,
      close: async () => {
        await worker.dispose()
        await libsql.close()
        await temp.cleanup()
      },
    }
  } catch (error) {
    await libsql.close()
    await temp.cleanup()
    throw error
  }
}

/** A websocket client that records every event it receives. */
export interface EventClient {
  /** The subprotocol the server chose ('' for none). */
  protocol: string
  events: ReceivedEvent[]
  /** The first event matching `predicate`, waiting up to `timeoutMs` (default 1 s) for it. */
  waitFor(predicate: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>
  /** Closes the connection and waits until it is closed. */
  close(): Promise<void>
}

/**
 * Opens a websocket on `/ws` of the target, with an optional query such as
 * `?project_id=…`. The token goes in the `Authorization` header, or with
 * `viaSubprotocol` as a browser sends it: the subprotocols `bearer, <token>`.
 */
export async function connectEvents(
  target: Pick<Target, 'url' | 'token'>,
  query = '',
  options: { viaSubprotocol?: boolean } = {}
): Promise<EventClient> {
  const client = await connectClient(
    wsUrl(target, query),
    options.viaSubprotocol
      ? { protocols: ['bearer', target.token] }
      : { headers: { Authorization: `Bearer ${target.token}` } }
  )
  return {
    protocol: client.protocol,
    events: client.events,
    waitFor: (predicate, timeoutMs) => client.waitFor(predicate, timeoutMs),
    close: async () => {
      client.ws.close()
      await client.closed
    },
  }
}

/**
 * A request to the target with its token (pass `token: null` to send none);
 * an object body goes out as JSON, the answer's JSON is parsed.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body's type
export async function request<T = Record<string, unknown>>(
  target: { url: string; token: string | null },
  method: string,
  path: string,
  body?: unknown
): Promise<{ status: number; headers: Headers; body: T }> {
  const headers: Record<string, string> = {}
  if (target.token !== null) {
    headers.Authorization = `Bearer ${target.token}`
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
  }
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? null : JSON.parse(text)) as T,
  }
}
