import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { addComment } from '../../src/db/comments.js'
import { createProject } from '../../src/db/projects.js'
import { waitForEvents } from '../../src/mcp/wait-for-events.js'
import { type TempDatabase, createTempDatabase, lastEventSeq } from '../helpers/database.js'

let temp: TempDatabase

beforeEach(async () => {
  temp = await createTempDatabase()
})

afterEach(async () => {
  await temp.cleanup()
})

/** A clock that only moves when the wait sleeps, and a record of each sleep. */
function fakeTime(onSleep: (count: number) => Promise<void> | void = () => undefined) {
  let nowMs = 1_000_000
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => nowMs,
    sleep: async (ms: number) => {
      sleeps.push(ms)
      nowMs += ms
      await onSleep(sleeps.length)
    },
  }
}

describe('waitForEvents', () => {
  it('returns the events after since at once, full objects, without sleeping', async () => {
    const { project, task } = await createProject(temp.db, { title: 'P', description: '' })
    const time = fakeTime()

    const batch = await waitForEvents(temp.db, { since: 0, timeout_s: 30 }, time)

    expect(batch.events.map((event) => [event.type, event.payload])).toEqual([
      ['project_created', project],
      ['task_created', task],
    ])
    expect(batch.next_since).toBe(2)
    expect(time.sleeps).toEqual([])
  })

  it('starts after the newest event when no since is given, and waits for the next one', async () => {
    const { task } = await createProject(temp.db, { title: 'P', description: '' })
    let commentId = ''
    const time = fakeTime(async (count) => {
      if (count === 3) {
        commentId = (await addComment(temp.db, task.id, { content: 'hi', author_role: 'human' })).id
      }
    })

    const batch = await waitForEvents(temp.db, { timeout_s: 30 }, time)

    expect(batch.events).toHaveLength(1)
    expect(batch.events[0]).toMatchObject({ type: 'comment_added', payload: { id: commentId } })
    expect(batch.next_since).toBe(3)
    expect(time.sleeps).toEqual([250, 250, 250])
  })

  it('returns no events once timeout_s has passed, with next_since past what it skipped', async () => {
    await createProject(temp.db, { title: 'Elsewhere', description: '' })
    const time = fakeTime()

    const batch = await waitForEvents(
      temp.db,
      { since: 0, project_id: 'mine', timeout_s: 1.1 },
      time
    )

    expect(batch).toEqual({ events: [], next_since: 2 })
    expect(time.sleeps).toEqual([250, 250, 250, 250, 100])
  })

  it("reads past full pages of other projects' events before it sleeps", async () => {
    for (let i = 0; i < 3; i++) {
      await createProject(temp.db, { title: `Other ${String(i)}`, description: '' })
    }
    const { project } = await createProject(temp.db, { title: 'Mine', description: '' })
    const time = fakeTime()

    const batch = await waitForEvents(
      temp.db,
      { since: 0, project_id: project.id, timeout_s: 0 },
      { ...time, limit: 2 }
    )

    expect(batch.events.map((event) => event.type)).toEqual(['project_created', 'task_created'])
    expect(batch.next_since).toBe(await lastEventSeq(temp.db))
    expect(time.sleeps).toEqual([])
  })

  it('stops waiting when its signal is aborted', async () => {
    const controller = new AbortController()
    const time = fakeTime((count) => {
      if (count === 2) {
        controller.abort()
      }
    })

    const batch = await waitForEvents(
      temp.db,
      { timeout_s: 30 },
      { ...time, signal: controller.signal }
    )

    expect(batch).toEqual({ events: [], next_since: 0 })
    expect(time.sleeps).toHaveLength(2)
  })
})

describe('waitForEvents from a position the log no longer has', () => {
  it('asks the agent to read the board again when since is past the end of the log', async () => {
    await createProject(temp.db, { title: 'P', description: '' })
    const time = fakeTime()

    const batch = await waitForEvents(temp.db, { since: 500, timeout_s: 30 }, time)

    expect(batch).toMatchObject({ events: [], next_since: 2, resync_required: true })
    expect(batch.detail).toMatch(/not in this board's log.*get_board.*since=2/)
    expect(time.sleeps).toEqual([])
  })

  it('asks the same when the events after since were pruned', async () => {
    for (let i = 0; i < 3; i++) {
      await createProject(temp.db, { title: `P${String(i)}`, description: '' })
    }
    await temp.db.execute('UPDATE events SET consumed = 1')
    await temp.db.execute('DELETE FROM events WHERE rowid < 5')

    const batch = await waitForEvents(temp.db, { since: 1, timeout_s: 30 }, fakeTime())

    expect(batch).toMatchObject({ events: [], next_since: 6, resync_required: true })
  })
})
