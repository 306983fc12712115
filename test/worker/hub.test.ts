import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'

import { type Client, createClient } from '@libsql/client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

import type { CreatedProject } from '../../src/index.js'
import { type Target, connectEvents, request, startWorkerTarget } from '../contract/support.js'

// What only the Durable Object hub does: its alarm loop, its wake-ups, and
// the REST writes that reach it without waiting for the alarm.

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Writes an event the way the Python MCP server does, naming the task by id only. */
async function writeTaskEvent(db: Client, taskId: string, consumed = 0): Promise<string> {
  const id = randomUUID()
  await db.execute({
    sql: 'INSERT INTO events (id, type, payload, created_at, consumed) VALUES (?, ?, ?, ?, ?)',
    args: [
      id,
      'task_updated',
      JSON.stringify({ task_id: taskId }),
      new Date().toISOString(),
      consumed,
    ],
  })
  return id
}

async function isConsumed(db: Client, eventId: string): Promise<boolean> {
  const result = await db.execute({
    sql: 'SELECT consumed FROM events WHERE id = ?',
    args: [eventId],
  })
  return Number(result.rows[0]?.consumed) === 1
}

async function seqOf(db: Client, eventId: string): Promise<number> {
  const result = await db.execute({
    sql: 'SELECT rowid AS seq FROM events WHERE id = ?',
    args: [eventId],
  })
  return Number(result.rows[0]?.seq)
}

function useTarget(options: { pollIntervalMs: number }) {
  const state = {} as { target: Target; db: Client; createProject(): Promise<CreatedProject> }
  beforeAll(async () => {
    state.target = await startWorkerTarget(options)
    state.db = createClient({ url: pathToFileURL(state.target.dbPath).href, timeout: 5000 })
    state.createProject = async () => {
      const created = await request<CreatedProject>(state.target, 'POST', '/projects', {
        title: 'Hub',
        description: 'A board for the hub tests',
      })
      return created.body
    }
  })
  afterAll(async () => {
    state.db.close()
    await state.target.close()
  })
  return state
}

describe('BoardHub with a one-minute alarm', () => {
  const worker = useTarget({ pollIntervalMs: 60_000 })

  test('delivers a REST write at once instead of at the next alarm', async () => {
    const { task } = await worker.createProject()
    const client = await connectEvents(worker.target)
    try {
      await request(worker.target, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })

      const event = await client.waitFor((e) => e.type === 'task_updated', 1000)
      expect(event.payload).toMatchObject({ id: task.id, status: 'in_progress' })
    } finally {
      await client.close()
    }
  })

  test('wakes from hibernation with its sockets and its saved position in the log', async () => {
    const { task } = await worker.createProject()
    const client = await connectEvents(worker.target)
    try {
      // workerd evicts a Durable Object idle for about ten seconds; its
      // hibernatable sockets stay open. No alarm is due for a minute.
      await sleep(12_000)
      // An event another server sharing the database has already delivered
      // and marked consumed: only the saved position, not the consumed
      // flags, tells the hub that its own clients have not had it.
      const eventId = await writeTaskEvent(worker.db, task.id, 1)
      await request(worker.target, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })

      const seq = await seqOf(worker.db, eventId)
      const missed = await client.waitFor((e) => e.seq === seq, 1000)
      const patched = await client.waitFor((e) => e.seq > seq, 1000)
      expect(missed).toMatchObject({ type: 'task_updated', payload: { id: task.id } })
      expect(patched).toMatchObject({ type: 'task_updated', payload: { status: 'in_progress' } })
    } finally {
      await client.close()
    }
  })
})

describe('BoardHub with the 500 ms alarm', () => {
  const worker = useTarget({ pollIntervalMs: 500 })

  test('stops polling when the last client leaves; the next client starts from the end of the log', async () => {
    const { task } = await worker.createProject()
    const first = await connectEvents(worker.target)
    await first.close()
    // Two intervals: the alarm finds no socket and does not come back.
    await sleep(1200)

    const unheard = await writeTaskEvent(worker.db, task.id)
    await sleep(1000)
    expect(await isConsumed(worker.db, unheard)).toBe(false)

    const second = await connectEvents(worker.target)
    try {
      expect(await isConsumed(worker.db, unheard)).toBe(true)
      const fresh = await writeTaskEvent(worker.db, task.id)
      const seq = await seqOf(worker.db, fresh)

      await second.waitFor((e) => e.seq === seq, 1000)
      expect(second.events.map((e) => e.seq)).toEqual([seq])
    } finally {
      await second.close()
    }
  })
})
