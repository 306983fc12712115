import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  findLatestPosition,
  findStartPosition,
  markEventsConsumed,
  readEventsAfter,
  recordEvent,
} from '../../src/db/events.js'
import {
  type TempDatabase,
  countRows,
  createTempDatabase,
  openDatabaseAt,
  readEvents,
} from '../helpers/database.js'
import { writePythonDatabase } from '../helpers/python-board.js'

let temp: TempDatabase

beforeEach(async () => {
  temp = await createTempDatabase()
})

afterEach(async () => {
  await temp.cleanup()
})

async function insertEvent(id: string, type: string, payload: string, consumed = 0) {
  await temp.db.execute({
    sql: 'INSERT INTO events (id, type, payload, created_at, consumed) VALUES (?, ?, ?, ?, ?)',
    args: [id, type, payload, '2026-01-01T00:00:00+00:00', consumed],
  })
}

describe('recordEvent', () => {
  it('writes one row whose payload SQLite builds from the source row', async () => {
    await temp.db.execute(`INSERT INTO projects (id, title, created_at, updated_at)
                           VALUES ('p1', 'T', 'x', 'x')`)
    await temp.db.execute(
      recordEvent(
        'project_updated',
        { sql: "json_object('project_id', p.id, 'title', p.title)" },
        { sql: 'FROM projects p WHERE p.id = ?', args: ['p1'] }
      )
    )
    const events = await readEvents(temp.db)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'project_updated',
      payload: { project_id: 'p1', title: 'T' },
      consumed: 0,
    })
    expect(events[0]?.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('writes nothing when the source selects no row', async () => {
    await temp.db.execute(
      recordEvent(
        'project_updated',
        { sql: "json_object('project_id', p.id)" },
        { sql: 'FROM projects p WHERE p.id = ?', args: ['missing'] }
      )
    )
    expect(await countRows(temp.db, 'events')).toBe(0)
  })
})

describe('readEventsAfter', () => {
  it('reads rows in the order they were written, after the position, up to the limit', async () => {
    await insertEvent('zzz', 'task_updated', '{"task_id": "a"}')
    await insertEvent('aaa', 'task_updated', '{"task_id": "b"}')
    await insertEvent('mmm', 'comment_added', '{"comment_id": "c"}')

    const all = await readEventsAfter(temp.db, 0, 10)
    expect(all.map((event) => event.id)).toEqual(['zzz', 'aaa', 'mmm'])
    expect(all.map((event) => event.seq)).toEqual([1, 2, 3])
    expect(all[0]?.payload).toEqual({ task_id: 'a' })

    const page = await readEventsAfter(temp.db, 1, 1)
    expect(page.map((event) => event.id)).toEqual(['aaa'])
  })

  it('gives a payload that is not JSON as null instead of failing', async () => {
    await insertEvent('bad', 'task_updated', 'not json {')
    const [event] = await readEventsAfter(temp.db, 0, 10)
    expect(event).toMatchObject({ id: 'bad', payload: null })
  })
})

describe('markEventsConsumed', () => {
  it('marks every row up to the position and no further', async () => {
    for (const id of ['a', 'b', 'c']) {
      await insertEvent(id, 'task_updated', '{}')
    }
    await markEventsConsumed(temp.db, 2)
    expect((await readEvents(temp.db)).map((event) => event.consumed)).toEqual([1, 1, 0])
  })
})

describe('findStartPosition', () => {
  it('is 0 for an empty log', async () => {
    expect(await findStartPosition(temp.db)).toBe(0)
    expect(await findLatestPosition(temp.db)).toBe(0)
  })

  it('starts just before the oldest unconsumed row', async () => {
    await insertEvent('a', 'x', '{}', 1)
    await insertEvent('b', 'x', '{}', 0)
    await insertEvent('c', 'x', '{}', 0)
    expect(await findStartPosition(temp.db)).toBe(1)
  })

  it('starts at the end when every row is consumed', async () => {
    await insertEvent('a', 'x', '{}', 1)
    await insertEvent('b', 'x', '{}', 1)
    expect(await findStartPosition(temp.db)).toBe(2)
    expect(await findLatestPosition(temp.db)).toBe(2)
  })
})

describe('findStartPosition on a Python-made database', () => {
  it('counts a NULL consumed flag, which the Python column allows, as not yet broadcast', async () => {
    const path = join(temp.dir, 'python.db')
    await writePythonDatabase(path)
    const db = await openDatabaseAt(path)
    try {
      await db.execute('UPDATE events SET consumed = 1')
      await db.execute("UPDATE events SET consumed = NULL WHERE type = 'comment_added'")
      const nullRow = await db.execute('SELECT rowid AS seq FROM events WHERE consumed IS NULL')
      const seq = Number(nullRow.rows[0]?.seq)

      expect(await findStartPosition(db)).toBe(seq - 1)
      await markEventsConsumed(db, seq, seq - 1)
      const left = await db.execute('SELECT count(*) AS n FROM events WHERE consumed IS NOT 1')
      expect(Number(left.rows[0]?.n)).toBe(0)
    } finally {
      db.close()
    }
  })
})
