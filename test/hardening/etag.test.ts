import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { updateTask } from '../../src/db/task-changes.js'
import { RelayError } from '../../src/domain/errors.js'
import type { Task } from '../../src/domain/schemas.js'
import { createApp } from '../../src/http/app.js'
import { ifMatchCheck } from '../../src/http/etag.js'
import {
  type TempDatabase,
  createTempDatabase,
  eventTypesAfter,
  lastEventSeq,
  selectRow,
} from '../helpers/database.js'
import { type TestApp, createProjectVia, send } from '../helpers/http.js'

let temp: TempDatabase
let app: TestApp
let task: Task

beforeEach(async () => {
  temp = await createTempDatabase()
  app = createApp({ db: temp.db })
  task = (await createProjectVia(app)).task
})

afterEach(async () => {
  await temp.cleanup()
})

async function etagOf(taskId: string): Promise<string> {
  const response = await send(app, 'GET', `/tasks/${taskId}`)
  const etag = response.headers.get('ETag')
  if (etag === null) {
    throw new Error('GET /tasks/:id sent no ETag')
  }
  return etag
}

const patch = (body: unknown, ifMatch?: string) =>
  send<Task>(
    app,
    'PATCH',
    `/tasks/${task.id}`,
    body,
    ifMatch === undefined ? {} : { 'If-Match': ifMatch }
  )

describe('ETag on tasks', () => {
  it('is a strong quoted SHA-256 that GET and PATCH agree on', async () => {
    const etag = await etagOf(task.id)
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/)
    expect(await etagOf(task.id)).toBe(etag)

    const patched = await patch({ title: 'Renamed' })
    expect(patched.headers.get('ETag')).not.toBe(etag)
    expect(patched.headers.get('ETag')).toBe(await etagOf(task.id))
  })

  it('is readable by browser scripts on other origins', async () => {
    const response = await app.request(`/tasks/${task.id}`, {
      headers: { Origin: 'http://localhost:5173' },
    })
    expect(response.headers.get('Access-Control-Expose-Headers')).toContain('ETag')
  })

  it('changes when another writer changes any column of the row', async () => {
    const before = await etagOf(task.id)
    await temp.db.execute({
      sql: "UPDATE tasks SET branch = 'feature/x' WHERE id = ?",
      args: [task.id],
    })
    expect(await etagOf(task.id)).not.toBe(before)
  })
})

describe('PATCH /tasks/:id with If-Match', () => {
  it('applies the change when the tag is current', async () => {
    const response = await patch({ title: 'Mine' }, await etagOf(task.id))
    expect(response.status).toBe(200)
    expect(response.body.title).toBe('Mine')
  })

  it('refuses a stale tag with 412, writing nothing and recording no event', async () => {
    const stale = await etagOf(task.id)
    await patch({ title: 'Newer title' })
    const current = await etagOf(task.id)
    const row = await selectRow(temp.db, 'tasks', task.id)
    const seq = await lastEventSeq(temp.db)

    const response = await patch({ title: 'Older idea', status: 'in_progress' }, stale)

    expect(response.status).toBe(412)
    expect(response.body).toEqual({
      detail:
        `Task '${task.id}' has changed since you read it: If-Match does not match its ` +
        `current ETag ${current}. GET it again, then retry with the new ETag`,
      etag: current,
    })
    expect(await selectRow(temp.db, 'tasks', task.id)).toEqual(row)
    expect(await eventTypesAfter(temp.db, seq)).toEqual([])
  })

  it('accepts * and a list holding the current tag; never a weak tag', async () => {
    expect((await patch({ title: 'a' }, '*')).status).toBe(200)
    const etag = await etagOf(task.id)
    expect((await patch({ title: 'b' }, `"nope", ${etag}`)).status).toBe(200)
    const next = await etagOf(task.id)
    expect((await patch({ title: 'c' }, `W/${next}`)).status).toBe(412)
    expect((await patch({ title: 'd' }, next.slice(1, -1))).status).toBe(200)
  })

  it('answers 404 before 412 for an unknown task', async () => {
    const response = await send(app, 'PATCH', '/tasks/nope', { title: 'x' }, { 'If-Match': '"x"' })
    expect(response.status).toBe(404)
  })

  it('lets exactly one of 20 concurrent edits with the same tag win', async () => {
    const etag = await etagOf(task.id)
    const seq = await lastEventSeq(temp.db)
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => patch({ title: `edit ${String(i)}` }, etag))
    )

    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([200, ...Array<number>(19).fill(412)])
    const winner = responses.find((r) => r.status === 200)!
    expect((await selectRow(temp.db, 'tasks', task.id))?.title).toBe(winner.body.title)
    expect(await eventTypesAfter(temp.db, seq)).toEqual(['task_updated'])
  })

  it('re-reads and refuses when another writer changes the row between read and write', async () => {
    const etag = await etagOf(task.id)
    const seq = await lastEventSeq(temp.db)
    const check = ifMatchCheck(etag)!
    let calls = 0

    const attempt = updateTask(
      temp.db,
      task.id,
      { description: 'stale overwrite' },
      {
        check: async (current) => {
          calls++
          await check(current)
          if (calls === 1) {
            // Another process writes after our read and check, before our write.
            await temp.db.execute({
              sql: "UPDATE tasks SET description = 'theirs', updated_at = ? WHERE id = ?",
              args: [new Date().toISOString(), task.id],
            })
          }
        },
      }
    )

    await expect(attempt).rejects.toSatisfy(
      (error) => error instanceof RelayError && error.code === 'precondition_failed'
    )
    expect(calls).toBe(2)
    expect((await selectRow(temp.db, 'tasks', task.id))?.description).toBe('theirs')
    expect(await eventTypesAfter(temp.db, seq)).toEqual([])
  })
})
