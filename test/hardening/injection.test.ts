import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { CreatedProject, Task } from '../../src/domain/schemas.js'
import { createApp } from '../../src/http/app.js'
import { type TempDatabase, countRows, createTempDatabase, selectRow } from '../helpers/database.js'
import { type TestApp, createProjectVia, send } from '../helpers/http.js'

// The usual SQL injection strings, in every field, id, query parameter and
// header the API reads. Every statement is parameterised, so each is stored
// or looked up as the plain text it is, and the schema stays as it was.
const INJECTIONS = [
  "'",
  "' OR '1'='1",
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE tasks; --",
  "1'; DELETE FROM events WHERE '1'='1",
  "' UNION SELECT id, title, description, status, created_at, updated_at FROM projects --",
  "'); INSERT INTO projects VALUES ('x','x','x','active','x','x'); --",
  '%27%20OR%201%3D1',
  '\\x27 OR 1=1',
  "admin'/*",
  '*/; ATTACH DATABASE "/tmp/pwn.db" AS pwn; --',
  "json_extract('{}', '$')",
  '?',
  '?1',
  ':name',
  '$1',
]

let temp: TempDatabase
let app: TestApp
let schema: string
let fixture: CreatedProject

async function schemaOf(): Promise<string> {
  const result = await temp.db.execute('SELECT type, name, sql FROM sqlite_master ORDER BY name')
  return JSON.stringify(result.rows)
}

beforeAll(async () => {
  temp = await createTempDatabase()
  app = createApp({ db: temp.db })
  fixture = await createProjectVia(app)
  schema = await schemaOf()
})

afterAll(async () => {
  await temp.cleanup()
})

describe.each(INJECTIONS)('the string %s', (text) => {
  it('is stored as plain text in every field', async () => {
    const created = await send<CreatedProject>(app, 'POST', '/projects', {
      title: text,
      description: text,
    })
    expect(created.status).toBe(201)
    const projectId = created.body.project.id
    const task = await send<Task>(app, 'POST', `/projects/${projectId}/tasks`, {
      title: text,
      description: text,
      phase: 'coder',
    })
    expect(task.status).toBe(201)
    const patched = await send<Task>(app, 'PATCH', `/tasks/${task.body.id}`, {
      title: `${text} (2)`,
      description: text,
    })
    expect(patched.status).toBe(200)
    const comment = await send(
      app,
      'POST',
      `/tasks/${task.body.id}/comments`,
      { content: text, author_role: 'reviewer' },
      { 'Idempotency-Key': text }
    )
    expect(comment.status).toBe(201)

    expect(await selectRow(temp.db, 'projects', projectId)).toMatchObject({
      title: text,
      description: text,
    })
    expect(await selectRow(temp.db, 'tasks', task.body.id)).toMatchObject({
      title: `${text} (2)`,
      description: text,
    })
    expect(await schemaOf()).toBe(schema)
  })

  it('is looked up as an id that does not exist, in every path and query', async () => {
    const id = encodeURIComponent(text)
    const before = await Promise.all(
      ['projects', 'tasks', 'comments', 'events'].map((table) => countRows(temp.db, table))
    )
    const lookups: [string, string, unknown?][] = [
      ['GET', `/projects/${id}`],
      ['DELETE', `/projects/${id}`],
      ['GET', `/projects/${id}/tasks`],
      ['POST', `/projects/${id}/tasks`, { title: 't', phase: 'coder' }],
      ['GET', `/tasks/${id}`],
      ['PATCH', `/tasks/${id}`, { status: 'in_progress' }],
      ['POST', `/tasks/${id}/comments`, { content: 'c', author_role: 'human' }],
      ['GET', `/tasks/${id}/runs`],
    ]
    for (const [method, path, body] of lookups) {
      const response = await send(app, method, path, body)
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.body.detail).toContain(`'${text}' not found`)
    }

    const parent = await send(app, 'POST', `/projects/${fixture.project.id}/tasks`, {
      title: 't',
      phase: 'coder',
      parent_task_id: text,
    })
    expect(parent.status).toBe(422)
    const filtered = await send<{ events: unknown[] }>(
      app,
      'GET',
      `/events?limit=100&project_id=${id}`
    )
    expect(filtered.status).toBe(200)
    expect(filtered.body.events).toEqual([])
    const stale = await send(
      app,
      'PATCH',
      `/tasks/${fixture.task.id}`,
      { title: 'never' },
      { 'If-Match': text }
    )
    expect(stale.status).toBe(412)

    const after = await Promise.all(
      ['projects', 'tasks', 'comments', 'events'].map((table) => countRows(temp.db, table))
    )
    expect(after).toEqual(before)
    expect(await schemaOf()).toBe(schema)
  })
})
