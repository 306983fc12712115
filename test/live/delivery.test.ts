import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'

import { createClient } from '@libsql/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { RunningServer } from '../../src/entry/node.js'
import { spawnServe } from '../helpers/cli.js'
import { createTempDir } from '../helpers/database.js'
import type { ReceivedEvent } from '../helpers/fake-socket.js'
import {
  type WsClient,
  connectClient,
  startTestServer,
  waitUntil,
  wsUrl,
} from '../helpers/server.js'

let dir: { dir: string; cleanup(): Promise<void> }
let dbPath: string
const cleanups: (() => Promise<void> | void)[] = []

beforeEach(async () => {
  dir = await createTempDir()
  dbPath = join(dir.dir, 'board.db')
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
  await dir.cleanup()
})

async function serve(options: Parameters<typeof startTestServer>[1] = {}): Promise<RunningServer> {
  const server = await startTestServer(dbPath, options)
  cleanups.push(() => server.close())
  return server
}

async function client(url: string): Promise<WsClient> {
  const recorder = await connectClient(url)
  cleanups.push(() => {
    recorder.close()
  })
  return recorder
}

async function post(base: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(response.status).toBe(201)
  return response.json()
}

const eventually = (check: () => boolean, timeoutMs = 3000) => waitUntil(check, timeoutMs)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const seqs = (events: ReceivedEvent[]) => events.map((event) => event.seq)

describe('GET /ws live delivery', () => {
  it('resumes a client from ?since= with every later event once, in order, while writes go on', async () => {
    const server = await serve()
    const live = await client(wsUrl(server))
    const { task } = await post(server.url, '/projects', { title: 'Resume' })

    let resumed: WsClient | undefined
    for (let i = 0; i < 60; i++) {
      await post(server.url, `/tasks/${task.id}/comments`, {
        content: `c${i}`,
        author_role: 'coder',
      })
      if (i === 25) {
        // Resume from a position a few events back, with writes still coming.
        await live.waitFor(
          (event) => event.type === 'comment_added' && event.payload.content === 'c20'
        )
        const since = live.events.find((event) => event.payload.content === 'c15')!.seq
        resumed = await client(wsUrl(server, `?since=${String(since)}`))
      }
    }
    const last = await live.waitFor((event) => event.payload.content === 'c59')
    await resumed!.waitFor((event) => event.seq === last.seq)

    const since = live.events.find((event) => event.payload.content === 'c15')!.seq
    expect(seqs(resumed!.events)).toEqual(seqs(live.events).filter((seq) => seq > since))
    expect(resumed!.events.map((event) => event.payload.content)).toEqual(
      Array.from({ length: 44 }, (_, i) => `c${String(i + 16)}`)
    )
  })

  it("sends a client that asked for ?project_id= only that project's events", async () => {
    const server = await serve()
    const first = await post(server.url, '/projects', { title: 'First' })
    const second = await post(server.url, '/projects', { title: 'Second' })
    const filtered = await client(wsUrl(server, `?project_id=${String(first.project.id)}`))
    const everything = await client(wsUrl(server))

    await post(server.url, `/tasks/${second.task.id}/comments`, {
      content: 'b',
      author_role: 'human',
    })
    await post(server.url, `/tasks/${first.task.id}/comments`, {
      content: 'a',
      author_role: 'human',
    })
    await everything.waitFor((event) => event.payload.content === 'a')
    await filtered.waitFor((event) => event.payload.content === 'a')
    await sleep(100)

    expect(everything.events.map((event) => event.payload.content)).toEqual(['b', 'a'])
    expect(filtered.events.map((event) => event.payload.content)).toEqual(['a'])
    expect(filtered.events.every((event) => event.project_id === first.project.id)).toBe(true)
  })

  it('tells a client resuming from before the kept events to reload the board', async () => {
    const server = await serve()
    for (let i = 0; i < 3; i++) {
      await post(server.url, '/projects', { title: `P${String(i)}` })
    }
    // An interval poll marks what was delivered consumed; only that can be pruned.
    await server.relay.poll()
    expect(server.relay.position).toBe(6)
    expect(await server.relay.prune(0)).toBe(5)

    const resumed = await client(wsUrl(server, '?since=1'))
    const notice = await resumed.waitFor((event) => event.type === 'resync_required')
    expect(notice.payload).toMatchObject({ since: 1, resume_from: 6 })
    expect((notice.payload as { detail: string }).detail).toMatch(
      /not in this board's log.*Reload the board/
    )

    await post(server.url, '/projects', { title: 'after' })
    const next = await resumed.waitFor((event) => event.type === 'project_created')
    expect(next.seq).toBe(7)
  })

  it('tells a client resuming from past the end of the log (another database) to reload', async () => {
    const server = await serve()
    await post(server.url, '/projects', { title: 'Only' })
    const resumed = await client(wsUrl(server, '?since=999999'))
    const notice = await resumed.waitFor((event) => event.type === 'resync_required')
    expect(notice.payload).toMatchObject({ since: 999999, resume_from: 2 })

    await post(server.url, '/projects', { title: 'Next' })
    const next = await resumed.waitFor((event) => event.type === 'project_created')
    expect(next.seq).toBe(3)
  })

  it('answers 426 to a GET /ws that is not a websocket upgrade', async () => {
    const server = await serve()
    const response = await fetch(`${server.url}/ws`)
    expect(response.status).toBe(426)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/websocket client/)
  })

  it('refuses a malformed ?since= before upgrading, with a 422 naming it', async () => {
    const server = await serve()
    const response = await fetch(`${server.url}/ws?since=yesterday`)
    expect(response.status).toBe(422)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/^since must be a whole/)
  })

  it('drops a client that stops reading, with close code 1013, while others keep receiving', async () => {
    const server = await serve({ maxBufferedBytes: 64 * 1024 })
    const { task } = await post(server.url, '/projects', { title: 'Slow' })
    const fast = await client(wsUrl(server))
    const slow = await client(wsUrl(server))
    const slowSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })
      ._socket
    slowSocket.pause()

    // About 14 MB of events: more than the loopback buffers hold for a client that reads nothing.
    const content = 'x'.repeat(90_000)
    for (let i = 0; i < 150; i++) {
      await post(server.url, `/tasks/${task.id}/comments`, { content, author_role: 'coder' })
    }
    await eventually(() => fast.events.length === 150, 10_000)
    await eventually(() => server.hub.size === 1, 5000)

    slowSocket.resume()
    expect(await slow.closed).toBe(1013)
    expect(slow.events.length).toBeLessThan(150)
  }, 60_000)

  it('detects clients that vanished without a close frame and keeps no trace of them', async () => {
    const server = await serve({ heartbeatMs: 100 })
    const alive = await client(wsUrl(server))
    const gone = await Promise.all(Array.from({ length: 50 }, () => client(wsUrl(server))))
    await eventually(() => server.hub.size === 51)

    // A paused socket reads no pings, so it sends no pongs: a half-open connection.
    for (const recorder of gone) {
      ;(recorder.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    }
    await eventually(() => server.hub.size === 1, 3000)

    // The one that answers its pings is kept and still served.
    await sleep(300)
    expect(server.hub.size).toBe(1)
    await post(server.url, '/projects', { title: 'Still here' })
    await alive.waitFor((event) => event.type === 'project_created')
  })

  it('delivers a write made by another process well within a second of its commit', async () => {
    const server = await serve({ pollIntervalMs: 60_000 })
    const { task } = await post(server.url, '/projects', { title: 'Other writer' })
    const watcher = await client(wsUrl(server))

    // With a one-minute poll interval, only the WAL watch can deliver this in time.
    const other = createClient({ url: `file:${dbPath}`, timeout: 5000 })
    cleanups.push(() => {
      other.close()
    })
    const committedAt = Date.now()
    await other.batch(
      [
        { sql: "UPDATE tasks SET status = 'in_progress' WHERE id = ?", args: [task.id] },
        {
          sql: `INSERT INTO events (id, type, payload, created_at)
                VALUES (?, 'task_updated', json_object('task_id', ?), ?)`,
          args: [crypto.randomUUID(), task.id, new Date().toISOString()],
        },
      ],
      'write'
    )
    const event = await watcher.waitFor((e) => e.type === 'task_updated')
    expect(Date.now() - committedAt).toBeLessThan(1000)
    expect(event.payload).toMatchObject({
      id: task.id,
      status: 'in_progress',
      title: 'Plan: Other writer',
    })
  })
})

describe('GET /events', () => {
  it('pages the log as JSON after ?since= with ?limit=, filtered by ?project_id=', async () => {
    const server = await serve()
    const first = await post(server.url, '/projects', { title: 'First' })
    await post(server.url, '/projects', { title: 'Second' })

    const page = await fetch(`${server.url}/events?since=1&limit=2`)
    expect(page.status).toBe(200)
    const body = (await page.json()) as {
      events: ReceivedEvent[]
      next_since: number
      latest: number
    }
    expect(seqs(body.events)).toEqual([2, 3])
    expect(body).toMatchObject({ next_since: 3, latest: 4 })

    const filtered = await fetch(
      `${server.url}/events?limit=10&project_id=${String(first.project.id)}`
    )
    const filteredBody = (await filtered.json()) as { events: ReceivedEvent[] }
    expect(filteredBody.events.map((event) => event.type)).toEqual([
      'project_created',
      'task_created',
    ])
  })

  it('streams server-sent events after ?since=, then live ones', async () => {
    const server = await serve()
    await post(server.url, '/projects', { title: 'Before' })
    const abort = new AbortController()
    cleanups.push(() => {
      abort.abort()
    })
    const response = await fetch(`${server.url}/events?since=1`, { signal: abort.signal })
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)

    await post(server.url, '/projects', { title: 'After' })
    const reader = response.body!.getReader()
    let text = ''
    while ((text.match(/^id: /gm) ?? []).length < 3) {
      const { value } = await reader.read()
      text += new TextDecoder().decode(value)
    }
    expect([...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]))).toEqual([2, 3, 4])
    expect(text).toContain('event: project_created')
  })

  it('answers HEAD with the stream headers only, subscribing nobody', async () => {
    const server = await serve()
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/events`, { method: 'HEAD' })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    }
    expect(server.hub.size).toBe(0)
  })

  it('drops a stream client that stops reading, as it drops a slow websocket', async () => {
    const server = await serve({ maxBufferedBytes: 64 * 1024 })
    const { task } = await post(server.url, '/projects', { title: 'Slow stream' })
    const { port } = new URL(server.url)
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write('GET /events HTTP/1.1\r\nHost: board\r\n\r\n')
    })
    cleanups.push(() => {
      socket.destroy()
    })
    await once(socket, 'data')
    socket.pause()
    await eventually(() => server.hub.size === 1)

    const content = 'x'.repeat(90_000)
    for (let i = 0; i < 150 && server.hub.size > 0; i++) {
      await post(server.url, `/tasks/${task.id}/comments`, { content, author_role: 'coder' })
    }
    await eventually(() => server.hub.size === 0, 5000)
  }, 60_000)

  it('refuses a limit outside 1..1000 with a 422 naming it', async () => {
    const server = await serve()
    const response = await fetch(`${server.url}/events?limit=0`)
    expect(response.status).toBe(422)
    expect(((await response.json()) as { detail: string }).detail).toBe(
      'limit must be a whole number from 1 to 1000'
    )
  })
})

describe('two server processes on one database', () => {
  it('each deliver every event to their own clients exactly once, in commit order', async () => {
    const servers = await Promise.all([spawnServe(dbPath), spawnServe(dbPath)])
    for (const server of servers) {
      cleanups.push(() => server.stop())
    }
    const clients = await Promise.all(servers.map((server) => client(wsUrl(server))))

    const { task } = await post(servers[0].url, '/projects', { title: 'Shared' })
    await Promise.all(
      servers.map(async (server, index) => {
        for (let i = 0; i < 30; i++) {
          await post(server.url, `/tasks/${task.id}/comments`, {
            content: `s${String(index)}-${String(i)}`,
            author_role: 'coder',
          })
        }
      })
    )

    const log = createClient({ url: `file:${dbPath}` })
    cleanups.push(() => {
      log.close()
    })
    const all = (await log.execute('SELECT rowid AS seq FROM events ORDER BY rowid')).rows.map(
      (row) => Number(row.seq)
    )
    expect(all).toHaveLength(62)
    for (const recorder of clients) {
      await eventually(() => recorder.events.length >= all.length, 3000)
      await sleep(100)
      expect(seqs(recorder.events)).toEqual(all)
    }
  })
})
