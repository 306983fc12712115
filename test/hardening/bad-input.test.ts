import type { Client } from '@libsql/client'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { MAX_BODY_BYTES, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH } from '../../src/domain/limits.js'
import { AUTHOR_ROLES, PHASES, TASK_STATUSES } from '../../src/domain/vocabulary.js'
import { createApp } from '../../src/http/app.js'
import { type TempDatabase, createTempDatabase } from '../helpers/database.js'
import { type TestApp, createProjectVia, createTaskVia } from '../helpers/http.js'

// Property-based tests over every REST route: whatever arrives, the answer is
// the normal success or a 4xx whose `detail` names the problem, never a 5xx;
// a refused write leaves every table as it was, and every stored row has its
// event. Runs are kept modest so that the file takes a few seconds.

let temp: TempDatabase
let app: TestApp
const projectIds: string[] = []
const taskIds: string[] = []

beforeAll(async () => {
  temp = await createTempDatabase()
  app = createApp({ db: temp.db })
  for (let i = 0; i < 3; i++) {
    const { project, task } = await createProjectVia(app, `Fixture ${String(i)}`)
    projectIds.push(project.id)
    taskIds.push(task.id, (await createTaskVia(app, project.id)).id)
  }
})

afterAll(async () => {
  await temp.cleanup()
})

// Text of every kind: combining marks, right-to-left, astral planes, zero
// width and control characters, line separators.
const SPECIMENS = [
  'e\u0301\u0308\u20dd',
  'שלום עולם',
  'مرحبا بالعالم',
  '\u202eevil\u202c',
  '𝕳𝖊𝖑𝖑𝖔 🧑🏽‍💻 👨‍👩‍👧',
  '\u0000nul\u0007bell',
  '\ufeffbom',
  'Z̴̧̛a̸̡l̷g̶o̵',
  '\r\n\t',
  '\u2028\u2029',
  '\u200b\u200d',
  '\ud83d\ude00',
]
const unicodeText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(...SPECIMENS)
)
// Any UTF-16 code unit, lone surrogates included.
const anyCodeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  maxLength: 12,
})

// One of the fixture ids, picked when a value is drawn (they exist only then).
const known = (ids: string[]) => fc.nat().map((i) => ids[i % ids.length]!)

// Ids that could confuse a router or a query builder.
const WEIRD_IDS = [
  '.',
  '..',
  'a/b',
  '%2F',
  '%2e%2e',
  '%',
  '%zz',
  '%00',
  "'; DROP TABLE tasks; --",
  '" OR "1"="1',
  "1' OR '1'='1",
  '\\',
  '*',
  'null',
  'undefined',
  ' ',
  'ü',
  '🧑‍💻',
  'x'.repeat(3000),
]
const someId = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(known(projectIds), known(taskIds)) },
  { weight: 2, arbitrary: fc.constantFrom(...WEIRD_IDS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: unicodeText }
)

const wrongType = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 })
)
const badText = fc.oneof(
  fc.constantFrom('', ' ', '\t\n ', '\u3000'),
  fc.constant('t'.repeat(MAX_TITLE_LENGTH + 1)),
  fc.constant('d'.repeat(MAX_TEXT_LENGTH + 1)),
  anyCodeUnits
)
const fieldValue = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, wrongType, badText, unicodeText)

const fields = fc.record(
  {
    title: fieldValue(unicodeText.filter((text) => text.trim() !== '')),
    description: fieldValue(unicodeText),
    phase: fieldValue(fc.constantFrom(...PHASES)),
    status: fieldValue(fc.constantFrom(...TASK_STATUSES)),
    content: fieldValue(unicodeText.filter((text) => text.trim() !== '')),
    author_role: fieldValue(fc.constantFrom(...AUTHOR_ROLES)),
    parent_task_id: fieldValue(fc.oneof(known(taskIds), fc.constantFrom(...WEIRD_IDS))),
    id: fieldValue(fc.uuid()),
    project_id: fieldValue(known(projectIds)),
    created_at: fieldValue(fc.constant('1970-01-01T00:00:00Z')),
  },
  { requiredKeys: [] }
)

const MALFORMED = [
  '{',
  '{"title": }',
  '[1, 2',
  'nul',
  '{"title": "x",}',
  "{'title': 'x'}",
  '{"title": "\\ud800"}',
  '{"title": "a\\udc00b", "phase": "coder", "content": "\\udfff", "author_role": "coder"}',
  '{"title": "\\u00"}',
  '\u0000',
  '{"title": NaN}',
]
// A body every write route accepts (each reads its own fields, ignores the rest).
const nonBlank = unicodeText.filter((text) => text.trim() !== '')
const acceptable = fc.record(
  {
    title: nonBlank,
    description: unicodeText,
    phase: fc.constantFrom(...PHASES),
    content: nonBlank,
    author_role: fc.constantFrom(...AUTHOR_ROLES),
    status: fc.constantFrom(...TASK_STATUSES),
  },
  { requiredKeys: ['title', 'phase', 'content', 'author_role'] }
)

type Body = string | Uint8Array<ArrayBuffer> | undefined
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: acceptable.map((object) => JSON.stringify(object)) },
  { weight: 6, arbitrary: fields.map((object) => JSON.stringify(object)) },
  {
    weight: 2,
    arbitrary: fc.tuple(fields, fc.double({ min: 0, max: 1, noNaN: true })).map(([object, cut]) => {
      const text = JSON.stringify(object)
      return text.slice(0, Math.floor(text.length * cut))
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...MALFORMED) },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom<Body>(undefined, '') },
  { weight: 1, arbitrary: fc.constant(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])) },
  { weight: 1, arbitrary: fc.constant(`{"title": "${'x'.repeat(MAX_BODY_BYTES)}"}`) }
)

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'json',
  '',
  undefined,
]

const TEMPLATES = [
  '/projects',
  '/projects/{id}',
  '/projects/{id}/tasks',
  '/tasks/{id}',
  '/tasks/{id}/comments',
  '/tasks/{id}/runs',
  '/events',
  '/ws',
  '/docs',
  '/',
  '/nothing/{id}',
]

// Routes as they are meant to be called: most drawn requests take one of
// these, so that they reach validation and the database instead of the 404.
const ROUTES: readonly (readonly [string, string])[] = [
  ['POST', '/projects'],
  ['GET', '/projects'],
  ['GET', '/projects/{id}'],
  ['DELETE', '/projects/{id}'],
  ['POST', '/projects/{id}/tasks'],
  ['POST', '/projects/{id}/tasks'],
  ['GET', '/projects/{id}/tasks'],
  ['GET', '/tasks/{id}'],
  ['PATCH', '/tasks/{id}'],
  ['PATCH', '/tasks/{id}'],
  ['POST', '/tasks/{id}/comments'],
  ['POST', '/tasks/{id}/comments'],
  ['GET', '/tasks/{id}/runs'],
  ['GET', '/events'],
]
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PATCH', 'DELETE', 'PUT']

const request = fc.record({
  route: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ROUTES) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...TEMPLATES)) }
  ),
  // The id of a row of the kind the route names, or anything else.
  id: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: someId }),
  pick: fc.nat(),
  encodeId: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
  trailingSlash: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true)),
  query: fc.option(
    fc.record(
      {
        since: fc.oneof(fc.nat().map(String), fc.string({ maxLength: 6 })),
        limit: fc.oneof(
          fc.integer({ min: -1, max: 1001 }).map(String),
          fc.string({ maxLength: 5 })
        ),
        project_id: someId,
      },
      { requiredKeys: [] }
    )
  ),
  body,
  contentType: fc.oneof(
    { weight: 4, arbitrary: fc.constant('application/json') },
    fc.constantFrom(...CONTENT_TYPES)
  ),
  idempotencyKey: fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    fc.uuid(),
    fc.constantFrom('k1', 'k2', ' ', 'x'.repeat(300))
  ),
})
type Arbitrary = typeof request extends fc.Arbitrary<infer T> ? T : never

function idFor(r: Arbitrary): string {
  if (r.id !== null) {
    return r.id
  }
  const ids = r.route[1].startsWith('/tasks') ? taskIds : projectIds
  return ids[r.pick % ids.length]!
}

function urlOf(r: Arbitrary): string {
  const id = r.encodeId ? encodeURIComponent(idFor(r)) : idFor(r)
  let path = r.route[1].replace('{id}', id) + (r.trailingSlash ? '/' : '')
  if (r.query) {
    path += `?${new URLSearchParams(r.query).toString()}`
  }
  return path
}

async function sendArbitrary(r: Arbitrary): Promise<Response> {
  const headers: Record<string, string> = {}
  if (r.contentType !== undefined) {
    headers['Content-Type'] = r.contentType
  }
  if (r.idempotencyKey !== null) {
    headers['Idempotency-Key'] = r.idempotencyKey
  }
  const method = r.route[0]
  const hasBody = r.body !== undefined && method !== 'GET' && method !== 'HEAD'
  return app.request(urlOf(r), {
    method,
    headers,
    ...(hasBody ? { body: r.body } : {}),
  })
}

// New rows join the fixtures, so that later requests can find them.
function rememberCreated(created: any): void {
  if (typeof created.project?.id === 'string') {
    projectIds.push(created.project.id)
    taskIds.push(created.task.id)
  } else if (typeof created.phase === 'string') {
    taskIds.push(created.id)
  }
}

/** Every table's rows in a comparable form, and the last event position. */
async function snapshot(db: Client): Promise<string> {
  const result = await db.batch([
    'SELECT id, status, title, description, updated_at FROM projects ORDER BY id',
    'SELECT * FROM tasks ORDER BY id',
    'SELECT * FROM comments ORDER BY id',
    'SELECT coalesce(max(rowid), 0) AS seq FROM events',
  ])
  return JSON.stringify(result.map((set) => set.rows))
}

/** Rows and events agree: each created row has its one creation event, and so on. */
async function checkRowsMatchEvents(db: Client, taskUpdates: number): Promise<void> {
  const result = await db.execute(`SELECT
    (SELECT count(*) FROM projects) AS projects,
    (SELECT count(*) FROM events WHERE type = 'project_created') AS project_created,
    (SELECT count(*) FROM projects WHERE status = 'cancelled') AS cancelled,
    (SELECT count(*) FROM events WHERE type = 'project_updated') AS project_updated,
    (SELECT count(*) FROM tasks) AS tasks,
    (SELECT count(*) FROM events WHERE type = 'task_created') AS task_created,
    (SELECT count(*) FROM comments) AS comments,
    (SELECT count(*) FROM events WHERE type = 'comment_added') AS comment_added,
    (SELECT count(*) FROM events WHERE type = 'task_updated') AS task_updated`)
  const row = result.rows[0]!
  expect(row.project_created).toBe(row.projects)
  expect(row.project_updated).toBe(row.cancelled)
  expect(row.task_created).toBe(row.tasks)
  expect(row.comment_added).toBe(row.comments)
  expect(row.task_updated).toBe(taskUpdates)
}

async function openTaskCount(db: Client): Promise<number> {
  const result = await db.execute(
    "SELECT count(*) AS n FROM tasks WHERE status NOT IN ('done', 'cancelled')"
  )
  return Number(result.rows[0]?.n)
}

/** Asserts the refusal's detail is there and points at what was wrong. */
function expectDetailNamesProblem(status: number, parsed: any): void {
  expect(typeof parsed?.detail).toBe('string')
  const detail = parsed.detail as string
  expect(detail.trim()).not.toBe('')
  const field = parsed.errors?.[0]?.field as string | undefined
  // A list is refused as a whole ("must be a JSON object"), though valibot
  // lists it under the first key it missed.
  if (status === 422 && field && detail !== 'The request body must be a JSON object') {
    expect(detail).toContain(field.split('.')[0])
  }
  const expected: Record<number, RegExp> = {
    400: /JSON|UTF-8/,
    404: /not found/i,
    405: /^Method \w+ not allowed here; use /,
    409: /cancelled|still being processed|kept changing/,
    413: /larger than/,
    415: /^Content-Type must be application\/json|^The body must be UTF-8/,
    426: /websocket/,
  }
  if (expected[status]) {
    expect(detail).toMatch(expected[status])
  }
}

describe('every route under arbitrary requests', () => {
  it('answers the success or a 4xx with a detail, never a 5xx, and a refusal writes nothing', async () => {
    let taskUpdates = Number(
      (await temp.db.execute("SELECT count(*) AS n FROM events WHERE type = 'task_updated'"))
        .rows[0]?.n
    )
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const before = await snapshot(temp.db)
        const openBefore = await openTaskCount(temp.db)

        const method = r.route[0]
        const response = await sendArbitrary(r)
        const text = await response.text()

        expect(response.status, `${method} ${urlOf(r)}`).toBeLessThan(500)
        if (response.status >= 400) {
          if (method !== 'HEAD') {
            expectDetailNamesProblem(response.status, JSON.parse(text))
          }
          expect(await snapshot(temp.db)).toBe(before)
        } else if (method === 'PATCH') {
          taskUpdates += 1
        } else if (method === 'DELETE') {
          taskUpdates += openBefore - (await openTaskCount(temp.db))
        } else if (
          response.status === 201 &&
          response.headers.get('Idempotent-Replayed') === null
        ) {
          rememberCreated(JSON.parse(text))
        }
        await checkRowsMatchEvents(temp.db, taskUpdates)
      }),
      { numRuns: 400 }
    )

    // Still serving after all that.
    const response = await app.request('/projects')
    expect(response.status).toBe(200)
  }, 60_000)
})

const VOCABULARY: Record<string, readonly string[]> = {
  phase: PHASES,
  status: TASK_STATUSES,
  author_role: AUTHOR_ROLES,
}

function isValidValue(field: string, value: unknown): boolean {
  if (VOCABULARY[field]) {
    return VOCABULARY[field].includes(value as string)
  }
  if (typeof value !== 'string' || !value.isWellFormed() || value.includes('\u0000')) {
    return false
  }
  const max = field === 'title' ? MAX_TITLE_LENGTH : MAX_TEXT_LENGTH
  return value.length <= max && (field === 'description' || value.trim() !== '')
}

describe('one bad field at a time', () => {
  const ENDPOINTS = [
    {
      path: () => '/projects',
      method: 'POST',
      valid: { title: 'Valid', description: 'valid' },
    },
    {
      path: () => `/projects/${projectIds[0]!}/tasks`,
      method: 'POST',
      valid: { title: 'Valid', phase: 'coder', description: 'valid' },
    },
    {
      path: () => `/tasks/${taskIds[0]!}`,
      method: 'PATCH',
      valid: { title: 'Valid', description: 'valid' },
    },
    {
      path: () => `/tasks/${taskIds[0]!}/comments`,
      method: 'POST',
      valid: { content: 'Valid', author_role: 'human' },
    },
  ]
  const badValue = fc.oneof(wrongType, badText)

  it('refuses it with 422 naming that field, writing nothing', async () => {
    const endpoint = fc.constantFrom(...ENDPOINTS)
    await fc.assert(
      fc.asyncProperty(
        endpoint.chain((e) =>
          fc.tuple(fc.constant(e), fc.constantFrom(...Object.keys(e.valid)), badValue)
        ),
        async ([e, field, value]) => {
          const bodyObject: Record<string, unknown> = { ...e.valid, [field]: value }
          const sent = JSON.stringify(bodyObject)
          // A value drawn by chance that is in fact valid is no test of a refusal.
          fc.pre(!isValidValue(field, value))

          const before = await snapshot(temp.db)
          const response = await app.request(e.path(), {
            method: e.method,
            headers: { 'Content-Type': 'application/json' },
            body: sent,
          })
          const parsed = await response.json()

          expect(response.status, sent.slice(0, 200)).toBe(422)
          expect(parsed.detail).toContain(field)
          expect(parsed.errors[0].field).toBe(field)
          expect(await snapshot(temp.db)).toBe(before)
        }
      ),
      { numRuns: 150 }
    )
  })

  it('tells a missing field apart from a null one', async () => {
    const missing = await app.request('/projects', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ description: 'no title' }),
    })
    const nulled = await app.request('/projects', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: null }),
    })
    expect((await missing.json()).detail).toBe('title is required')
    expect((await nulled.json()).detail).toBe('title must be a string, got null')
  })
})
