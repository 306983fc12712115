import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { RunningServer } from '../../src/entry/node.js'
import { type TempDatabase, createTempDatabase, readEvents } from '../helpers/database.js'
import { type LogSpy, eventLog, listen, sleep, spyLog, startServerOn } from './support.js'

const run = promisify(execFile)

let temp: TempDatabase
let server: RunningServer
let spy: LogSpy

beforeEach(async () => {
  temp = await createTempDatabase()
  spy = spyLog()
  server = await startServerOn(temp.path, { log: spy.log })
})

afterEach(async () => {
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

describe('50 concurrent PATCHes of one task from the same status', () => {
  it('let exactly one win; the other 49 get the 422 for the status they found; one event', async () => {
    const { body: created } = await call('POST', '/projects', { title: 'Race' })
    const taskId = created.task.id as string
    const before = (await eventLog(temp.db)).length

    const responses = await Promise.all(
      Array.from({ length: 50 }, () => call('PATCH', `/tasks/${taskId}`, { status: 'in_progress' }))
    )

    const won = responses.filter((r) => r.status === 200)
    const lost = responses.filter((r) => r.status !== 200)
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(49)
    for (const response of lost) {
      expect(response.status).toBe(422)
      expect(response.body).toEqual({
        detail:
          "Invalid transition: cannot move task from 'in_progress' to 'in_progress'. " +
          "Valid next states: ['in_review', 'cancelled']",
        current_status: 'in_progress',
        valid_next_states: ['in_review', 'cancelled'],
      })
    }
    const events = (await readEvents(temp.db)).slice(before)
    expect(events.map((event) => [event.type, event.payload.new_status])).toEqual([
      ['task_updated', 'in_progress'],
    ])
  })
})

describe('several writer processes on one database', () => {
  it('lose no write to a busy error and deliver every event once, in commit order', async () => {
    const PER_WRITER = 150
    const { body: created } = await call('POST', '/projects', { title: 'Busy board' })
    const taskId = created.task.id as string
    const socket = await listen(`${server.url.replace('http', 'ws')}/ws`)
    const start = (await eventLog(temp.db)).at(-1)!.seq

    try {
      const writer = (label: string) =>
        run(process.execPath, [
          join(import.meta.dirname, 'writer.js'),
          temp.path,
          taskId,
          String(PER_WRITER),
          label,
        ])
      const overHttp = async () => {
        const ids: string[] = []
        const failures: string[] = []
        for (let i = 0; i < PER_WRITER; i++) {
          const response = await call('POST', `/tasks/${taskId}/comments`, {
            content: `http ${String(i)}`,
            author_role: 'human',
          })
          if (response.status === 201) {
            ids.push(response.body.id)
          } else {
            failures.push(`${String(response.status)} ${String(response.body.detail)}`)
          }
        }
        return { ids, failures }
      }

      const [http, first, second] = await Promise.all([overHttp(), writer('one'), writer('two')])
      const children = [first, second].map(
        (child) => JSON.parse(child.stdout) as { ids: string[]; failures: string[] }
      )

      for (const result of [http, ...children]) {
        expect(result.failures).toEqual([])
        expect(result.ids).toHaveLength(PER_WRITER)
      }
      expect(first.stderr + second.stderr).toBe('')
      expect(spy.lines.filter((line) => !line.startsWith('info:'))).toEqual([])

      // Every committed event, in log order, reaches the client exactly once.
      const logged = (await eventLog(temp.db)).filter((event) => event.seq > start)
      expect(logged).toHaveLength(3 * PER_WRITER)
      await socket.until((events) => events.length >= logged.length, 20_000)
      await sleep(500)
      const received = socket.events.filter((event) => event.seq > start)
      expect(received.map((event) => event.seq)).toEqual(logged.map((event) => event.seq))
      const commentIds = received.map((event) => event.payload.id as string)
      expect(new Set(commentIds).size).toBe(3 * PER_WRITER)
      // The three really wrote at the same time: their commits interleave.
      const writers = received.map((event) => String(event.payload.content).split(' ')[0])
      const switches = writers.filter((label, i) => i > 0 && label !== writers[i - 1]).length
      expect(switches).toBeGreaterThan(20)
      expect(commentIds.sort()).toEqual([...http.ids, ...children.flatMap((c) => c.ids)].sort())
    } finally {
      socket.close()
    }
  }, 60_000)
})
