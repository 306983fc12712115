import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { RunningServer } from '../../src/entry/node.js'
import type {
  Comment,
  CreatedProject,
  Project,
  Task,
  TaskDetail,
} from '../../src/domain/schemas.js'
import { createTempDir } from '../helpers/database.js'
import {
  type WsClient,
  connectClient,
  request,
  startTestServer,
  waitUntil,
  wsUrl,
} from '../helpers/server.js'

const WRITER = fileURLToPath(new URL('../helpers/python-mcp-write.js', import.meta.url))

/** The spec's delivery bound: an event reaches clients within one second. */
const DELIVERY_MS = 1000

/** Runs the Python-style writer in its own process; resolves once it has exited. */
async function writeLikePython(dbPath: string, ...args: string[]): Promise<unknown> {
  const child = spawn(process.execPath, [WRITER, dbPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) {
    throw new Error(`writer exited with ${String(code)}: ${stderr}`)
  }
  return JSON.parse(stdout)
}

describe('startServer', () => {
  let dir: { dir: string; cleanup(): Promise<void> }
  let dbPath: string

  beforeEach(async () => {
    dir = await createTempDir()
    dbPath = join(dir.dir, 'board.db')
  })

  afterEach(async () => {
    await dir.cleanup()
  })

  /** Runs `body` with a server and `count` connected websocket clients, closing all after. */
  async function withServer(
    count: number,
    body: (server: RunningServer, clients: WsClient[]) => Promise<void>
  ): Promise<void> {
    const server = await startTestServer(dbPath)
    const clients: WsClient[] = []
    try {
      for (let i = 0; i < count; i++) {
        clients.push(await connectClient(wsUrl(server)))
      }
      await waitUntil(() => server.hub.size === count, DELIVERY_MS)
      await body(server, clients)
    } finally {
      for (const client of clients) {
        client.close()
      }
      await server.close()
    }
  }

  it('serves the REST API on the port it bound', async () => {
    await withServer(0, async (server) => {
      expect(server.url).toBe(`http://127.0.0.1:${String(server.port)}`)
      expect(server.port).toBeGreaterThan(0)
      const created = await request<CreatedProject>(server, 'POST', '/projects', { title: 'T' })
      expect(created.status).toBe(201)
      const list = await request<Project[]>(server, 'GET', '/projects')
      expect(list.body).toEqual([created.body.project])
    })
  })

  it('sends a PATCH made over HTTP to two websocket clients within a second, with the full task', async () => {
    await withServer(2, async (server, clients) => {
      const { body } = await request<CreatedProject>(server, 'POST', '/projects', { title: 'T' })

      const patched = await request<Task>(server, 'PATCH', `/tasks/${body.task.id}`, {
        status: 'in_progress',
      })
      const started = Date.now()
      const received = await Promise.all(
        clients.map((client) =>
          client.waitFor(
            (event) => event.type === 'task_updated' && event.payload.id === body.task.id,
            DELIVERY_MS
          )
        )
      )

      expect(Date.now() - started).toBeLessThanOrEqual(DELIVERY_MS)
      expect(patched.status).toBe(200)
      for (const event of received) {
        expect(event).toEqual({
          type: 'task_updated',
          seq: expect.any(Number),
          project_id: body.project.id,
          payload: patched.body,
        })
      }
      const { comments: _comments, ...current } = (
        await request<TaskDetail>(server, 'GET', `/tasks/${body.task.id}`)
      ).body
      expect(received[0]?.payload).toEqual(current)
    })
  })

  it('sends every client the project and root task created over HTTP', async () => {
    await withServer(2, async (server, clients) => {
      const { body } = await request<CreatedProject>(server, 'POST', '/projects', { title: 'T' })

      for (const client of clients) {
        await client.waitFor((event) => event.type === 'task_created', DELIVERY_MS)
        expect(client.events.map((event) => [event.type, event.payload])).toEqual([
          ['project_created', body.project],
          ['task_created', body.task],
        ])
      }
    })
  })

  it('delivers a status change another process wrote the Python way as the full task within a second', async () => {
    await withServer(1, async (server, [client]) => {
      const { body } = await request<CreatedProject>(server, 'POST', '/projects', { title: 'T' })
      await client!.waitFor((event) => event.type === 'task_created', DELIVERY_MS)

      await writeLikePython(dbPath, 'update_task_status', body.task.id, 'in_progress')
      const event = await client!.waitFor(
        (e) => e.type === 'task_updated' && e.payload.id === body.task.id,
        DELIVERY_MS
      )

      const current = await request<TaskDetail>(server, 'GET', `/tasks/${body.task.id}`)
      expect(current.body.status).toBe('in_progress')
      expect(current.body.updated_at).toMatch(/\+00:00$/)
      const { comments: _comments, ...task } = current.body
      expect(event).toEqual({
        type: 'task_updated',
        seq: expect.any(Number),
        project_id: body.project.id,
        payload: task,
      })
    })
  })

  it('delivers a comment another process wrote the Python way as the full comment within a second', async () => {
    await withServer(1, async (server, [client]) => {
      const { body } = await request<CreatedProject>(server, 'POST', '/projects', { title: 'T' })

      const written = (await writeLikePython(
        dbPath,
        'add_comment',
        body.task.id,
        'reviewer',
        'Needs tests'
      )) as { comment_id: string; created_at: string }
      const event = await client!.waitFor((e) => e.type === 'comment_added', DELIVERY_MS)

      const expected: Comment = {
        id: written.comment_id,
        task_id: body.task.id,
        author_role: 'reviewer',
        content: 'Needs tests',
        created_at: written.created_at,
      }
      expect(event).toEqual({
        type: 'comment_added',
        seq: expect.any(Number),
        project_id: body.project.id,
        payload: expected,
      })
    })
  })

  it('refuses a 2 MiB body over the wire with 413, and keeps serving', async () => {
    await withServer(0, async (server) => {
      const response = await fetch(`${server.url}/projects`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'big', description: 'x'.repeat(2 * 1024 * 1024) }),
      })
      expect(response.status).toBe(413)
      expect(await response.json()).toEqual({
        detail: 'Request body is larger than 1048576 bytes (1 MiB)',
      })
      expect((await request<Project[]>(server, 'GET', '/projects')).body).toEqual([])
    })
  })

  it('closes open websockets with 1001 and stops answering on close()', async () => {
    const server = await startTestServer(dbPath)
    const client = await connectClient(wsUrl(server))
    try {
      await waitUntil(() => server.hub.size === 1, DELIVERY_MS)

      await server.close()

      expect(await client.closed).toBe(1001)
      expect(server.hub.size).toBe(0)
      await expect(fetch(`${server.url}/projects`)).rejects.toThrow()
    } finally {
      client.close()
      await server.close()
    }
  })
})
