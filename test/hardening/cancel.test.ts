import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { RunningServer } from '../../src/entry/node.js'
import { type TempDatabase, createTempDatabase, readEvents } from '../helpers/database.js'
import { type Listener, listen, sleep, startServerOn } from './support.js'

let temp: TempDatabase
let server: RunningServer
let socket: Listener

beforeEach(async () => {
  temp = await createTempDatabase()
  server = await startServerOn(temp.path)
  socket = await listen(`${server.url.replace('http', 'ws')}/ws`)
})

afterEach(async () => {
  socket.close()
  await server.close()
  await temp.cleanup()
})

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: await response.json() }
}

async function taskIn(projectId: string, ...moves: string[]): Promise<string> {
  const { body: task } = await call('POST', `/projects/${projectId}/tasks`, {
    title: `ends ${moves.at(-1) ?? 'backlog'}`,
    phase: 'coder',
  })
  for (const status of moves) {
    expect((await call('PATCH', `/tasks/${task.id as string}`, { status })).status).toBe(200)
  }
  return task.id as string
}

describe('DELETE /projects/:id', () => {
  it('cancels every open task in one transaction and broadcasts each change', async () => {
    const { body: created } = await call('POST', '/projects', { title: 'Doomed' })
    const projectId = created.project.id as string
    const open = [
      created.task.id as string,
      await taskIn(projectId, 'in_progress'),
      await taskIn(projectId, 'in_progress', 'in_review'),
    ]
    const finished = [
      await taskIn(projectId, 'in_progress', 'in_review', 'done'),
      await taskIn(projectId, 'cancelled'),
    ]
    const before = (await readEvents(temp.db)).at(-1)!.seq

    const cancelled = await call('DELETE', `/projects/${projectId}`)
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.status).toBe('cancelled')

    const written = (await readEvents(temp.db)).filter((event) => event.seq > before)
    expect(written.map((event) => event.type)).toEqual([
      'project_updated',
      'task_updated',
      'task_updated',
      'task_updated',
    ])
    // One transaction: one timestamp on the project and every task it cancelled.
    const stamps = written.map((event) => {
      const object = (event.payload.task ?? event.payload.project) as { updated_at: string }
      return object.updated_at
    })
    expect(new Set(stamps).size).toBe(1)
    expect(written.slice(1).map((event) => event.payload.task_id)).toEqual(open)

    await socket.until((events) => events.filter((e) => e.seq > before).length >= 4)
    await sleep(300)
    const received = socket.events.filter((event) => event.seq > before)
    expect(received.map((event) => [event.type, event.payload.id, event.payload.status])).toEqual([
      ['project_updated', projectId, 'cancelled'],
      ...open.map((id) => ['task_updated', id, 'cancelled']),
    ])
    for (const id of finished) {
      expect(received.some((event) => event.payload.id === id)).toBe(false)
    }

    const again = await call('DELETE', `/projects/${projectId}`)
    expect(again.status).toBe(200)
    expect((await readEvents(temp.db)).at(-1)!.seq).toBe(written.at(-1)!.seq)
  })

  it('refuses new tasks and moves in a cancelled project with 409, writing nothing', async () => {
    const { body: created } = await call('POST', '/projects', { title: 'Closed' })
    const projectId = created.project.id as string
    const taskId = created.task.id as string
    // Another writer (the Python version) cancels the project without its tasks.
    await temp.db.execute({
      sql: "UPDATE projects SET status = 'cancelled' WHERE id = ?",
      args: [projectId],
    })
    const before = (await readEvents(temp.db)).at(-1)!.seq

    const added = await call('POST', `/projects/${projectId}/tasks`, {
      title: 'late',
      phase: 'coder',
    })
    expect(added.status).toBe(409)
    expect(added.body.detail).toBe(
      `Project '${projectId}' is cancelled: no tasks can be added to it`
    )
    const moved = await call('PATCH', `/tasks/${taskId}`, { status: 'in_progress' })
    expect(moved.status).toBe(409)
    expect(moved.body.detail).toBe(
      `Project '${projectId}' is cancelled: its tasks can no longer move`
    )

    expect((await readEvents(temp.db)).at(-1)!.seq).toBe(before)
  })
})
