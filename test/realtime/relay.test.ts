import type { Client } from '@libsql/client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { createProject } from '../../src/db/projects.js'
import { updateTask } from '../../src/db/task-changes.js'
import type { LogLevel } from '../../src/domain/log.js'
import { Hub } from '../../src/realtime/hub.js'
import { EventRelay } from '../../src/realtime/relay.js'
import {
  type TempDatabase,
  createTempDatabase,
  openDatabaseAt,
  readEvents,
} from '../helpers/database.js'
import { FakeSocket } from '../helpers/fake-socket.js'

let temp: TempDatabase

beforeEach(async () => {
  temp = await createTempDatabase()
})

afterEach(async () => {
  await temp.cleanup()
})

async function relayWithSocket(db: Client, log = vi.fn<(level: LogLevel, m: string) => void>()) {
  const hub = new Hub()
  const relay = new EventRelay({ db, hub, log })
  await relay.start()
  const socket = new FakeSocket()
  hub.add(socket, { project_id: null, label: 'test' }, relay.position)
  return { relay, socket, log }
}

async function insertEvent(db: Client, type: string, payload: unknown) {
  await db.execute({
    sql: 'INSERT INTO events (id, type, payload, created_at) VALUES (?, ?, ?, ?)',
    args: [crypto.randomUUID(), type, JSON.stringify(payload), new Date().toISOString()],
  })
}

describe('EventRelay', () => {
  it('delivers the rows in the order they were written and marks them consumed', async () => {
    const { relay, socket } = await relayWithSocket(temp.db)
    const { project, task } = await createProject(temp.db, { title: 'T', description: '' })
    await updateTask(temp.db, task.id, { status: 'in_progress' })
    await updateTask(temp.db, task.id, { status: 'in_review' })

    await relay.poll()

    expect(socket.events.map((event) => [event.type, event.seq])).toEqual([
      ['project_created', 1],
      ['task_created', 2],
      ['task_updated', 3],
      ['task_updated', 4],
    ])
    expect(socket.events[0]).toMatchObject({ project_id: project.id, payload: project })
    expect(socket.events[3]?.payload).toMatchObject({ id: task.id, status: 'in_review' })
    expect((await readEvents(temp.db)).map((event) => event.consumed)).toEqual([1, 1, 1, 1])
    expect(relay.position).toBe(4)
  })

  it('delivers nothing twice across polls', async () => {
    const { relay, socket } = await relayWithSocket(temp.db)
    await createProject(temp.db, { title: 'T', description: '' })
    await relay.poll()
    await relay.poll()
    await createProject(temp.db, { title: 'U', description: '' })
    await Promise.all([relay.poll(), relay.poll(), relay.poll()])

    expect(socket.events.map((event) => event.seq)).toEqual([1, 2, 3, 4])
  })

  it('delivers a long backlog in full, page after page', async () => {
    const { relay, socket } = await relayWithSocket(temp.db)
    const statements = Array.from({ length: 450 }, (_, i) => ({
      sql: 'INSERT INTO events (id, type, payload, created_at) VALUES (?, ?, ?, ?)',
      args: [`e${String(i)}`, 'custom', JSON.stringify({ n: i }), 'x'],
    }))
    await temp.db.batch(statements, 'write')

    await relay.poll()

    expect(socket.events.map((event) => event.payload.n)).toEqual(
      Array.from({ length: 450 }, (_, i) => i)
    )
  })

  it('resolves an id-only task_updated row of the Python version to the full task', async () => {
    const { relay, socket } = await relayWithSocket(temp.db)
    const { task } = await createProject(temp.db, { title: 'T', description: '' })
    await relay.poll()
    await temp.db.execute({
      sql: "UPDATE tasks SET status = 'in_progress', branch = 'b1' WHERE id = ?",
      args: [task.id],
    })
    await insertEvent(temp.db, 'task_updated', {
      task_id: task.id,
      old_status: 'backlog',
      new_status: 'in_progress',
    })

    await relay.poll()

    expect(socket.events.at(-1)).toEqual({
      type: 'task_updated',
      seq: 3,
      project_id: task.project_id,
      payload: { ...task, status: 'in_progress', branch: 'b1' },
    })
  })

  it('starts after the events already consumed and sends those nobody broadcast', async () => {
    await insertEvent(temp.db, 'custom', { n: 1 })
    await insertEvent(temp.db, 'custom', { n: 2 })
    await temp.db.execute('UPDATE events SET consumed = 1 WHERE rowid = 1')

    const { relay, socket } = await relayWithSocket(temp.db)
    await relay.poll()

    expect(socket.events.map((event) => event.payload.n)).toEqual([2])
  })

  it('survives a failing database read, logs it, and delivers on the next poll', async () => {
    let failNext = false
    const flaky = new Proxy(temp.db, {
      get(target, property, receiver) {
        if (property === 'execute' && failNext) {
          failNext = false
          return () => Promise.reject(new Error('SQLITE_BUSY: database is locked'))
        }
        const value: unknown = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const { relay, socket, log } = await relayWithSocket(flaky)
    await createProject(temp.db, { title: 'T', description: '' })

    failNext = true
    await expect(relay.poll()).resolves.toBeUndefined()
    expect(log).toHaveBeenCalledWith('error', 'event poll failed: SQLITE_BUSY: database is locked')
    expect(socket.messages).toEqual([])

    await relay.poll()
    expect(socket.events.map((event) => event.type)).toEqual(['project_created', 'task_created'])
    expect(log).toHaveBeenCalledTimes(1)
  })

  it('lets two relays on one database each deliver every event', async () => {
    const otherDb = await openDatabaseAt(temp.path)
    try {
      const first = await relayWithSocket(temp.db)
      const second = await relayWithSocket(otherDb)
      const { task } = await createProject(temp.db, { title: 'T', description: '' })

      await first.relay.poll()
      await updateTask(otherDb, task.id, { status: 'in_progress' })
      await second.relay.poll()
      await first.relay.poll()

      const expected = ['project_created', 'task_created', 'task_updated']
      expect(first.socket.events.map((event) => event.type)).toEqual(expected)
      expect(second.socket.events.map((event) => event.type)).toEqual(expected)
      expect(second.socket.events).toEqual(first.socket.events)
    } finally {
      otherDb.close()
    }
  })
})
