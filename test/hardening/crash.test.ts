import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createApp } from '../../src/http/app.js'
import { type TempDatabase, createTempDatabase } from '../helpers/database.js'
import { type ServeProcess, spawnServe } from '../helpers/cli.js'
import { eventLog, listen, sleep, waitFor } from './support.js'

// `vibe-relay serve` as a child process, killed with SIGKILL in the middle
// of a write load, then started again on the same file.

let temp: TempDatabase
const processes: ServeProcess[] = []

beforeEach(async () => {
  temp = await createTempDatabase()
})

afterEach(async () => {
  for (const serve of processes.splice(0)) {
    await serve.stop()
  }
  await temp.cleanup()
})

async function serve(): Promise<ServeProcess> {
  const started = await spawnServe(temp.path)
  processes.push(started)
  return started
}

const wsOf = (serve: ServeProcess) => `${serve.url.replace('http', 'ws')}/ws`

async function unconsumed(): Promise<number> {
  const result = await temp.db.execute('SELECT count(*) AS n FROM events WHERE consumed = 0')
  return Number(result.rows[0]?.n)
}

describe('vibe-relay serve killed with SIGKILL during writes', () => {
  it('keeps every acknowledged write and broadcasts every missed event after a restart', async () => {
    const first = await serve()
    const created = await fetch(`${first.url}/projects`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Crash' }),
    })
    const taskId = ((await created.json()) as { task: { id: string } }).task.id
    const watcher = await listen(wsOf(first))

    // Eight clients write as fast as they can until the server dies under them.
    const acknowledged: string[] = []
    const refused: number[] = []
    let cutOff = 0
    let dead = false
    const load = async () => {
      for (let i = 0; !dead; i++) {
        try {
          const response = await fetch(`${first.url}/tasks/${taskId}/comments`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ content: `load ${String(i)}`, author_role: 'coder' }),
          })
          if (response.status === 201) {
            acknowledged.push(((await response.json()) as { id: string }).id)
          } else {
            refused.push(response.status)
          }
        } catch {
          cutOff++
        }
      }
    }
    const loads = Array.from({ length: 8 }, load)
    await waitFor(() => Promise.resolve(acknowledged.length >= 200), 20_000)
    first.child.kill('SIGKILL')
    await first.stop()
    dead = true
    await Promise.all(loads)
    const lastSeen = watcher.events.at(-1)?.seq ?? 0
    watcher.close()

    expect(refused).toEqual([])
    expect(cutOff).toBeGreaterThan(0)

    // Every write that was answered 201 is there, with exactly one event.
    const stored = await temp.db.execute(
      `SELECT c.id, (SELECT count(*) FROM events e WHERE e.type = 'comment_added'
         AND json_extract(e.payload, '$.comment_id') = c.id) AS events FROM comments c`
    )
    const eventsById = new Map(stored.rows.map((row) => [row.id as string, Number(row.events)]))
    for (const id of acknowledged) {
      expect(eventsById.get(id), id).toBe(1)
    }

    // An agent keeps writing while no server runs.
    const offline = createApp({ db: temp.db })
    for (let i = 0; i < 20; i++) {
      const response = await offline.request(`/tasks/${taskId}/comments`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ content: `offline ${String(i)}`, author_role: 'planner' }),
      })
      expect(response.status).toBe(201)
    }
    expect(await unconsumed()).toBeGreaterThanOrEqual(20)

    const second = await serve()
    const resumed = await listen(`${wsOf(second)}?since=${String(lastSeen)}`)
    try {
      const missed = (await eventLog(temp.db)).filter((event) => event.seq > lastSeen)
      expect(missed.length).toBeGreaterThanOrEqual(20)
      await resumed.until((events) => events.length >= missed.length, 15_000)
      await sleep(300)
      expect(resumed.events.map((event) => event.seq)).toEqual(missed.map((event) => event.seq))
      await waitFor(async () => (await unconsumed()) === 0, 10_000)
    } finally {
      resumed.close()
    }
  }, 60_000)
})
