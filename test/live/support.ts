// Helpers for the live-delivery tests: a real server on a loopback port over
// a temporary database file, and websocket clients that record what they get.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import WebSocket from 'ws'

import { openDatabase, resolveDatabase } from '../../src/entry/database.js'
import { type RunningServer, type ServerOptions, startServer } from '../../src/entry/node.js'

export interface TempDir {
  path: string
  dbPath: string
  remove(): void
}

export function makeTempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'vibe-relay-live-'))
  return {
    path,
    dbPath: join(path, 'board.db'),
    remove: () => {
      rmSync(path, { recursive: true, force: true })
    },
  }
}

export async function startTestServer(
  dbPath: string,
  options: Partial<ServerOptions> = {}
): Promise<RunningServer> {
  const location = resolveDatabase({ flag: dbPath, env: {}, cwd: process.cwd() })
  const db = await openDatabase(location)
  return startServer({
    db,
    dbDisplay: location.display,
    host: '127.0.0.1',
    port: 0,
    pollIntervalMs: 500,
    localPath: location.display,
    log: () => undefined,
    version: 'test',
    ...options,
  })
}

/** A board event as a test reads it: the payload's fields are looked at loosely. */
export interface BoardEvent {
  type: string
  seq: number
  project_id: string | null
  payload: Record<string, any>
}

/** A websocket client that records every event it receives. */
export interface Recorder {
  ws: WebSocket
  events: BoardEvent[]
  closed: Promise<{ code: number; reason: string }>
  /** Resolves once an event matching `predicate` has arrived (rejects after `timeoutMs`). */
  waitFor(predicate: (event: BoardEvent) => boolean, timeoutMs?: number): Promise<BoardEvent>
  close(): void
}

export async function connect(url: string): Promise<Recorder> {
  const ws = new WebSocket(url)
  const events: BoardEvent[] = []
  const waiters: { predicate: (event: BoardEvent) => boolean; resolve: (e: BoardEvent) => void }[] =
    []
  ws.on('message', (data: Buffer) => {
    const event = JSON.parse(data.toString()) as BoardEvent
    events.push(event)
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(event)
      }
    }
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() })
    })
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      resolve()
    })
    ws.once('error', reject)
  })
  return {
    ws,
    events,
    closed,
    waitFor: (predicate, timeoutMs = 1000) => {
      const found = events.find(predicate)
      if (found) {
        return Promise.resolve(found)
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no matching event within ${String(timeoutMs)} ms`))
        }, timeoutMs)
        waiters.push({
          predicate,
          resolve: (event) => {
            clearTimeout(timer)
            resolve(event)
          },
        })
      })
    },
    close: () => {
      ws.terminate()
    },
  }
}

export function wsUrl(server: { url: string }, query = ''): string {
  return `${server.url.replace('http', 'ws')}/ws${query}`
}

export async function post(base: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) {
    throw new Error(`POST ${path}: ${String(response.status)} ${await response.text()}`)
  }
  return response.json()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Waits until `check` holds, polling every 20 ms, for at most `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${String(timeoutMs)} ms`)
    }
    await sleep(20)
  }
}
