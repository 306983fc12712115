import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_TTL_MS,
  reserveIdempotencyKey,
} from '../../src/db/idempotency-keys.js'
import type { Comment, CreatedProject, Task } from '../../src/domain/schemas.js'
import { createApp } from '../../src/http/app.js'
import {
  type TempDatabase,
  countRows,
  createTempDatabase,
  readEvents,
} from '../helpers/database.js'
import { type TestApp, createProjectVia, send } from '../helpers/http.js'

let temp: TempDatabase
let app: TestApp

beforeEach(async () => {
  temp = await createTempDatabase()
  app = createApp({ db: temp.db })
})

afterEach(async () => {
  await temp.cleanup()
})

const key = (value: string) => ({ 'Idempotency-Key': value })

async function sendRaw(path: string, body: string, headers: Record<string, string>) {
  const response = await app.request(path, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

describe('Idempotency-Key on POST /projects', () => {
  it('creates one project for two identical requests and answers both alike', async () => {
    const body = JSON.stringify({ title: 'Once', description: 'only once' })
    const first = await sendRaw('/projects', body, key('k-1'))
    const second = await sendRaw('/projects', body, key('k-1'))

    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(second.text).toBe(first.text)
    expect(second.headers.get('Idempotent-Replayed')).toBe('true')
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    expect(await countRows(temp.db, 'projects')).toBe(1)
    expect(await countRows(temp.db, 'tasks')).toBe(1)
    expect((await readEvents(temp.db)).map((event) => event.type)).toEqual([
      'project_created',
      'task_created',
    ])
  })

  it('creates two projects for the same body under two keys, and without a key', async () => {
    const body = JSON.stringify({ title: 'Twice' })
    await sendRaw('/projects', body, key('a'))
    await sendRaw('/projects', body, key('b'))
    await sendRaw('/projects', body, {})
    await sendRaw('/projects', body, {})
    expect(await countRows(temp.db, 'projects')).toBe(4)
  })

  it('lets exactly one of 20 concurrent duplicates run; the others replay it or get 409', async () => {
    const body = JSON.stringify({ title: 'Raced' })
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => sendRaw('/projects', body, key('raced')))
    )

    expect(await countRows(temp.db, 'projects')).toBe(1)
    expect(await countRows(temp.db, 'events')).toBe(2)
    const created = responses.filter((r) => r.status === 201)
    const busy = responses.filter((r) => r.status === 409)
    expect(created.length + busy.length).toBe(20)
    expect(new Set(created.map((r) => r.text)).size).toBe(1)
    for (const response of busy) {
      expect(JSON.parse(response.text).detail).toBe(
        "A request with Idempotency-Key 'raced' is still being processed; " +
          'retry in a moment to get its response'
      )
    }
    // Once the first has finished, a retry gets its response.
    const retry = await sendRaw('/projects', body, key('raced'))
    expect(retry.text).toBe(created[0]!.text)
  })

  it('refuses the same key with a different body with 422, writing nothing', async () => {
    await sendRaw('/projects', JSON.stringify({ title: 'First' }), key('k'))
    const other = await sendRaw('/projects', JSON.stringify({ title: 'Second' }), key('k'))

    expect(other.status).toBe(422)
    expect(JSON.parse(other.text).detail).toBe(
      "Idempotency-Key 'k' was already used with a different body; " +
        'send the same body to retry, or use a new key for a new request'
    )
    expect(await countRows(temp.db, 'projects')).toBe(1)
  })

  it('refuses the same key on another path with 422 naming the first request', async () => {
    const { project } = await createProjectVia(app)
    const body = JSON.stringify({ title: 'T', phase: 'coder' })
    await sendRaw(`/projects/${project.id}/tasks`, body, key('k'))
    const other = await sendRaw('/projects', body, key('k'))

    expect(other.status).toBe(422)
    expect(JSON.parse(other.text).detail).toBe(
      `Idempotency-Key 'k' was already used for POST /projects/${project.id}/tasks; ` +
        'use a new key for each different request'
    )
  })

  it('frees the key of a refused request, so a corrected retry runs', async () => {
    const refused = await sendRaw('/projects', JSON.stringify({ title: '' }), key('fix-me'))
    expect(refused.status).toBe(422)
    expect(await countRows(temp.db, 'idempotency_keys')).toBe(0)

    const fixed = await sendRaw('/projects', JSON.stringify({ title: 'Fixed' }), key('fix-me'))
    expect(fixed.status).toBe(201)
    expect(await countRows(temp.db, 'projects')).toBe(1)
  })

  it('refuses an empty or over-long key with 422', async () => {
    for (const value of [' ', 'x'.repeat(256)]) {
      const response = await sendRaw('/projects', JSON.stringify({ title: 'K' }), key(value))
      expect(response.status).toBe(422)
      expect(JSON.parse(response.text).detail).toMatch(/^Idempotency-Key must be 1 to 255/)
    }
    expect(await countRows(temp.db, 'projects')).toBe(0)
  })

  it('runs a request again once its key is older than 24 hours', async () => {
    const body = JSON.stringify({ title: 'Old' })
    await sendRaw('/projects', body, key('old'))
    const past = new Date(Date.now() - IDEMPOTENCY_TTL_MS - 1000).toISOString()
    await temp.db.execute({ sql: 'UPDATE idempotency_keys SET created_at = ?', args: [past] })

    const again = await sendRaw('/projects', body, key('old'))
    expect(again.status).toBe(201)
    expect(again.headers.get('Idempotent-Replayed')).toBeNull()
    expect(await countRows(temp.db, 'projects')).toBe(2)
    expect(await countRows(temp.db, 'idempotency_keys')).toBe(1)
  })
})

describe('Idempotency-Key on POST /projects/:id/tasks and /tasks/:id/comments', () => {
  it('creates one task and one comment for repeated requests', async () => {
    const { project } = await createProjectVia(app)
    const taskBody = { title: 'Retried', phase: 'coder' }
    const tasks = [
      await send<Task>(app, 'POST', `/projects/${project.id}/tasks`, taskBody, key('t')),
      await send<Task>(app, 'POST', `/projects/${project.id}/tasks`, taskBody, key('t')),
    ]
    expect(tasks.map((r) => r.status)).toEqual([201, 201])
    expect(tasks[1]!.body).toEqual(tasks[0]!.body)

    const taskId = tasks[0]!.body.id
    const commentBody = { content: 'said once', author_role: 'coder' }
    const comments = [
      await send<Comment>(app, 'POST', `/tasks/${taskId}/comments`, commentBody, key('c')),
      await send<Comment>(app, 'POST', `/tasks/${taskId}/comments`, commentBody, key('c')),
    ]
    expect(comments.map((r) => r.status)).toEqual([201, 201])
    expect(comments[1]!.body).toEqual(comments[0]!.body)

    expect(await countRows(temp.db, 'tasks')).toBe(2)
    expect(await countRows(temp.db, 'comments')).toBe(1)
    expect((await readEvents(temp.db)).map((event) => event.type)).toEqual([
      'project_created',
      'task_created',
      'task_created',
      'comment_added',
    ])
  })

  it('keeps no key for a 404, so each retry looks the task up again', async () => {
    const body = { content: 'x', author_role: 'human' }
    for (let i = 0; i < 2; i++) {
      const response = await send(app, 'POST', '/tasks/nope/comments', body, key('c404'))
      expect(response.status).toBe(404)
      expect(response.headers.get('Idempotent-Replayed')).toBeNull()
    }
    expect(await countRows(temp.db, 'idempotency_keys')).toBe(0)
  })
})

describe('reserveIdempotencyKey', () => {
  const request = { key: 'k', method: 'POST', path: '/projects', fingerprint: 'f' }

  it('hands a reservation abandoned for over a minute to the next request', async () => {
    const start = Date.now()
    const first = await reserveIdempotencyKey(temp.db, request, start)
    expect('owner' in first).toBe(true)
    await expect(reserveIdempotencyKey(temp.db, request, start + 1000)).rejects.toThrow(
      /still being processed/
    )

    const later = await reserveIdempotencyKey(temp.db, request, start + IDEMPOTENCY_LEASE_MS + 1)
    expect('owner' in later && 'owner' in first && later.owner !== first.owner).toBe(true)
  })

  it('keeps a completed response for retries', async () => {
    const created = await send<CreatedProject>(app, 'POST', '/projects', { title: 'x' }, key('z'))
    const replay = await reserveIdempotencyKey(temp.db, {
      key: 'z',
      method: 'POST',
      path: '/projects',
      fingerprint: (await temp.db.execute('SELECT fingerprint FROM idempotency_keys')).rows[0]!
        .fingerprint as string,
    })
    expect(replay).toEqual({ replay: { status: 201, body: JSON.stringify(created.body) } })
  })
})
