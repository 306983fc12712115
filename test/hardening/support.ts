// Helpers for the hardening tests: real servers in this process (child
// processes: test/helpers/cli.ts), websocket clients that record what they
// get or why they were refused, and event-log reads.

import type { Client } from '@libsql/client'
import WebSocket from 'ws'

import type { Log } from '../../src/domain/log.js'
import type { RunningServer, ServerOptions } from '../../src/entry/node.js'
import { startTestServer } from '../helpers/server.js'

/** Log lines a server wrote, for tests that read them. */
export interface LogSpy {
  log: Log
  lines: string[]
}

export function spyLog(): LogSpy {
  const lines: string[] = []
  return { lines, log: (level, message) => lines.push(`${level}: ${message}`) }
}

/** The real Node server on a loopback port over `dbPath`, polling every 200 ms. */
export function startServerOn(
  dbPath: string,
  options: Partial<ServerOptions> = {}
): Promise<RunningServer> {
  return startTestServer(dbPath, { pollIntervalMs: 200, ...options })
}

/** A board event as a websocket client receives it. */
export interface WireEvent {
  type: string
  seq: number
  project_id: string | null
  payload: any
}

/** A websocket client that keeps every event, in arrival order. */
export interface Listener {
  ws: WebSocket
  events: WireEvent[]
  /** The subprotocol the server chose ('' for none). */
  protocol: string
  /** Resolves once `check` holds for the events received (rejects after `timeoutMs`). */
  until(check: (events: WireEvent[]) => boolean, timeoutMs?: number): Promise<void>
  close(): void
}

/** Opens a websocket; resolves with the refusal's HTTP status instead when refused. */
export function openSocket(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {}
): Promise<Listener | { refused: number }> {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} })
  const events: WireEvent[] = []
  ws.on('message', (data: Buffer) => {
    events.push(JSON.parse(data.toString('utf8')) as WireEvent)
  })
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => {
      resolve({ refused: response.statusCode ?? 0 })
      ws.terminate()
    })
    ws.once('error', reject)
    ws.once('open', () => {
      resolve({
        ws,
        events,
        protocol: ws.protocol,
        until: (check, timeoutMs = 10_000) => waitUntil(() => check(events), timeoutMs),
        close: () => {
          ws.terminate()
        },
      })
    })
  })
}

/** `openSocket` for a connection that must succeed. */
export async function listen(url: string, headers: Record<string, string> = {}): Promise<Listener> {
  const result = await openSocket(url, { headers })
  if ('refused' in result) {
    throw new Error(`websocket refused with ${String(result.refused)}`)
  }
  return result
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` every 20 ms until it holds; rejects after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${String(timeoutMs)} ms`)
    }
    await sleep(20)
  }
}

/** Polls the async `check` every 50 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${String(timeoutMs)} ms`)
    }
    await sleep(50)
  }
}

/** Every event row's seq and type, in log order. */
export async function eventLog(db: Client): Promise<{ seq: number; type: string }[]> {
  const result = await db.execute('SELECT rowid AS seq, type FROM events ORDER BY rowid')
  return result.rows.map((row) => ({ seq: Number(row.seq), type: row.type as string }))
}
