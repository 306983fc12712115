import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import type { LogLevel } from '../../src/domain/log.js'
import { createApp } from '../../src/http/app.js'
import { type TempDatabase, createTempDatabase } from '../helpers/database.js'
import { send } from '../helpers/http.js'

let temp: TempDatabase

beforeEach(async () => {
  temp = await createTempDatabase()
})

afterEach(async () => {
  await temp.cleanup()
})

describe('CORS', () => {
  it('answers a preflight from any origin with access-control-allow-origin *', async () => {
    const app = createApp({ db: temp.db })
    const response = await app.request('/tasks/abc', {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'PATCH',
        'Access-Control-Request-Headers': 'content-type',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH')
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'content-type'
    )
  })

  it('marks ordinary answers, errors included, as readable from any origin', async () => {
    const app = createApp({ db: temp.db })
    const ok = await send(app, 'GET', '/projects', undefined, { Origin: 'https://example.com' })
    expect(ok.headers.get('access-control-allow-origin')).toBe('*')
    const missing = await send(app, 'GET', '/tasks/nope', undefined, { Origin: 'https://x.dev' })
    expect(missing.status).toBe(404)
    expect(missing.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('GET /openapi.json', () => {
  const ROUTES: Record<string, string[]> = {
    '/projects': ['get', 'post'],
    '/projects/{project_id}': ['delete', 'get'],
    '/projects/{project_id}/tasks': ['get', 'post'],
    '/tasks/{task_id}': ['get', 'patch'],
    '/tasks/{task_id}/comments': ['post'],
    '/tasks/{task_id}/runs': ['get'],
  }

  interface Operation {
    requestBody?: { content: Record<string, { schema: { properties?: object } }> }
    responses: Record<string, unknown>
  }

  async function document() {
    const app = createApp({ db: temp.db, version: '9.9.9' })
    const response = await send<{
      openapi: string
      info: { title: string; version: string }
      paths: Record<string, Record<string, Operation>>
    }>(app, 'GET', '/openapi.json')
    expect(response.status).toBe(200)
    return response.body
  }

  it('lists every route of the spec with its methods', async () => {
    const doc = await document()
    expect(doc.info).toMatchObject({ title: 'vibe-relay', version: '9.9.9' })
    for (const [path, methods] of Object.entries(ROUTES)) {
      expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual(
        expect.arrayContaining(methods)
      )
    }
  })

  it('documents the request body of every write with its fields', async () => {
    const doc = await document()
    const bodies: [string, string, string[], string[]][] = [
      ['/projects', 'post', ['title', 'description'], ['title']],
      [
        '/projects/{project_id}/tasks',
        'post',
        ['title', 'phase', 'description'],
        ['title', 'phase'],
      ],
      ['/tasks/{task_id}', 'patch', ['status', 'title', 'description'], []],
      ['/tasks/{task_id}/comments', 'post', ['content', 'author_role'], ['content', 'author_role']],
    ]
    for (const [path, method, fields, required] of bodies) {
      const schema = doc.paths[path]?.[method]?.requestBody?.content['application/json']?.schema as
        { properties?: Record<string, unknown>; required?: string[] } | undefined
      expect(Object.keys(schema?.properties ?? {}), `${method} ${path}`).toEqual(
        expect.arrayContaining(fields)
      )
      expect(schema?.required ?? []).toEqual(expect.arrayContaining(required))
    }
  })

  it('documents the enum of PATCH status and the 422 answer', async () => {
    const doc = await document()
    const patch = doc.paths['/tasks/{task_id}']?.patch
    const schema = patch?.requestBody?.content['application/json']?.schema as {
      properties: { status: { enum: string[] } }
    }
    expect(schema.properties.status.enum).toEqual([
      'backlog',
      'in_progress',
      'in_review',
      'done',
      'cancelled',
    ])
    expect(Object.keys(patch?.responses ?? {})).toEqual(expect.arrayContaining(['200', '422']))
  })
})

describe('GET /docs', () => {
  it('answers an HTML page that loads /openapi.json', async () => {
    const app = createApp({ db: temp.db })
    const response = await app.request('/docs')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await response.text()
    expect(html).toContain('/openapi.json')
    expect(html.toLowerCase()).toContain('<html')
  })
})

describe('GET /ws without a websocket runtime', () => {
  it('answers 426 in the detail envelope', async () => {
    const app = createApp({ db: temp.db })
    const response = await send(app, 'GET', '/ws')
    expect(response.status).toBe(426)
    expect(response.headers.get('Upgrade')).toBe('websocket')
    expect(response.body.detail).toBe('Upgrade Required: connect to /ws with a websocket client')
  })
})

describe('logging', () => {
  it('escapes control characters of a path, so that a client cannot forge a log line', async () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const app = createApp({ db: temp.db, log })
    await app.request('/projects/x%0Avibe-relay%20FAKE%20line%1B[31m')
    const line = log.mock.calls.map(([, message]) => message).find((m) => m.startsWith('GET'))
    expect(line).toMatch(/^GET \/projects\/x\\x0avibe-relay FAKE line\\x1b\[31m 404 /)
    expect(line).not.toContain('\n')
    expect(line).not.toContain(String.fromCharCode(27))
  })

  it('logs one access line per request with method, path without query, status, duration', async () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const app = createApp({ db: temp.db, log })

    await send(app, 'GET', '/projects?secret=token')
    await send(app, 'GET', '/tasks/nope')

    expect(log.mock.calls).toEqual([
      ['info', expect.stringMatching(/^GET \/projects 200 \d+(\.\d+)?ms$/)],
      ['info', expect.stringMatching(/^GET \/tasks\/nope 404 \d+(\.\d+)?ms$/)],
    ])
  })

  it('never logs the request body', async () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const app = createApp({ db: temp.db, log })
    await send(app, 'POST', '/projects', { title: 'secret-title-123' })
    await send(app, 'POST', '/projects', { title: 'x', description: null, note: 'secret-456' })
    const lines = log.mock.calls.map(([, message]) => message).join('\n')
    expect(lines).not.toContain('secret')
  })

  it('answers an unexpected failure with a generic 500 and logs it once with its stack', async () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const app = createApp({ db: temp.db, log })
    temp.db.close()

    const response = await send(app, 'GET', '/projects')

    expect(response.status).toBe(500)
    expect(response.body).toEqual({ detail: 'Internal server error' })
    const errors = log.mock.calls.filter(([level]) => level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.[1]).toMatch(/^GET \/projects failed: .*\n\s+at /s)
  })

  it('logs no error for a refused request', async () => {
    const log = vi.fn<(level: LogLevel, message: string) => void>()
    const app = createApp({ db: temp.db, log })
    await send(app, 'POST', '/projects', { title: '' })
    await send(app, 'POST', '/projects', '{bad')
    expect(log.mock.calls.map(([level]) => level)).toEqual(['info', 'info'])
  })
})
