import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { Task } from '../../src/domain/schemas.js'
import { countRows, lastEventSeq, selectRow } from '../helpers/database.js'
import { type AppFixture, createProjectVia, createTestApp, send } from '../helpers/http.js'

let fx: AppFixture
let projectId: string
let task: Task

beforeEach(async () => {
  fx = await createTestApp()
  const created = await createProjectVia(fx.app)
  projectId = created.project.id
  task = created.task
})

afterEach(async () => {
  await fx.cleanup()
})

/** Asserts that nothing was written: no new project, task, comment or event. */
async function expectNothingWritten(run: () => Promise<unknown>): Promise<void> {
  const counts = async () =>
    Promise.all(['projects', 'tasks', 'comments'].map((table) => countRows(fx.db, table)))
  const before = { counts: await counts(), seq: await lastEventSeq(fx.db) }
  await run()
  expect({ counts: await counts(), seq: await lastEventSeq(fx.db) }).toEqual(before)
}

describe('unknown routes and methods', () => {
  it('answers 404 in the detail envelope for an unknown route', async () => {
    const response = await send(fx.app, 'GET', '/nothing/here')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Not Found' })
  })

  it.each([
    ['PUT', '/projects', 'POST, GET, HEAD'],
    ['POST', '/projects/x', 'GET, HEAD, DELETE'],
    ['DELETE', '/tasks/x', 'GET, HEAD, PATCH'],
    ['GET', '/tasks/x/comments', 'POST'],
  ])('answers %s %s with 405 and an Allow header', async (method, path, allow) => {
    const response = await send(fx.app, method, path)
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe(allow)
    expect(response.body).toEqual({ detail: `Method ${method} not allowed here; use ${allow}` })
  })
})

describe('request bodies that are not JSON objects', () => {
  it('answers malformed JSON with 400, writing nothing', async () => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', '/projects', '{"title": "oops"')
      expect(response.status).toBe(400)
      expect(response.body).toEqual({ detail: 'Malformed JSON in request body' })
    })
  })

  it('answers an empty body with JSON Content-Type as malformed JSON', async () => {
    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, '')
    expect(response.status).toBe(400)
    expect(response.body.detail).toBe('Malformed JSON in request body')
  })

  it('answers a form body (curl -d without a JSON header) with 415 and a hint', async () => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', '/projects', 'title=x', {
        'Content-Type': 'application/x-www-form-urlencoded',
      })
      expect(response.status).toBe(415)
      expect(response.body.detail).toBe(
        "Content-Type must be application/json, got 'application/x-www-form-urlencoded' " +
          "(with curl, add -H 'Content-Type: application/json')"
      )
    })
  })

  it('answers a body with no Content-Type at all with 415', async () => {
    const response = await fx.app.request(`/tasks/${task.id}`, {
      method: 'PATCH',
      body: new Blob(['{"title": "x"}']),
    })
    expect(response.status).toBe(415)
    expect(((await response.json()) as { detail: string }).detail).toMatch(
      /^Content-Type must be application\/json, got none/
    )
  })

  it('accepts JSON with a charset parameter', async () => {
    const response = await send(fx.app, 'POST', '/projects', '{"title": "utf"}', {
      'Content-Type': 'application/json; charset=utf-8',
    })
    expect(response.status).toBe(201)
  })

  it.each([
    ['an array', '[]'],
    ['a string', '"title"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('refuses %s as body with 422', async (_what, body) => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', '/projects', body)
      expect(response.status).toBe(422)
      expect(response.body.detail).toBe('The request body must be a JSON object')
    })
  })
})

describe('request bodies over 1 MiB', () => {
  const oneMiB = 1024 * 1024

  it('answers 413 for a body over the limit, writing nothing', async () => {
    const body = JSON.stringify({ title: 'big', description: 'x'.repeat(oneMiB) })
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', '/projects', body)
      expect(response.status).toBe(413)
      expect(response.body).toEqual({
        detail: 'Request body is larger than 1048576 bytes (1 MiB)',
      })
    })
  })

  it('answers 413 from the Content-Length header alone', async () => {
    const body = 'x'.repeat(oneMiB + 1)
    const response = await send(fx.app, 'POST', `/tasks/${task.id}/comments`, body, {
      'Content-Length': String(body.length),
    })
    expect(response.status).toBe(413)
  })

  it('reads a body of exactly 1 MiB and judges its fields instead', async () => {
    const padding = oneMiB - JSON.stringify({ title: 'big', description: '' }).length
    const body = JSON.stringify({ title: 'big', description: 'x'.repeat(padding) })
    expect(body.length).toBe(oneMiB)

    const response = await send(fx.app, 'POST', '/projects', body)
    expect(response.status).toBe(422)
    expect(response.body.detail).toBe('description must be at most 100000 characters')
  })
})

describe('POST /projects fields', () => {
  it.each([
    [{}, 'title is required'],
    [{ description: 'no title' }, 'title is required'],
    [{ title: null }, 'title must be a string, got null'],
    [{ title: 42 }, 'title must be a string, got number'],
    [{ title: { text: 'x' } }, 'title must be a string, got object'],
    [{ title: '' }, 'title must not be empty'],
    [{ title: '   \t ' }, 'title must not be empty'],
    [{ title: 'x'.repeat(495) }, 'title must be at most 494 characters'],
    [{ title: 'T', description: null }, 'description must be a string, got null'],
    [{ title: 'T', description: 7 }, 'description must be a string, got number'],
  ])('refuses %j with 422 naming the field', async (body, detail) => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', '/projects', body)
      expect(response.status).toBe(422)
      expect(response.body.detail).toBe(detail)
      expect(response.body.errors?.[0]?.field).toBe(detail.split(' ')[0])
    })
  })

  it('refuses a lone surrogate sent as a JSON escape with 422', async () => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', '/projects', '{"title": "bad \\ud800 text"}')
      expect(response.status).toBe(422)
      expect(response.body.detail).toBe('title must be valid Unicode (no lone surrogates)')
    })
  })

  it('keeps a valid surrogate pair sent as a JSON escape', async () => {
    const response = await send<{ project: { title: string } }>(
      fx.app,
      'POST',
      '/projects',
      '{"title": "rocket \\ud83d\\ude80"}'
    )
    expect(response.status).toBe(201)
    expect(response.body.project.title).toBe('rocket 🚀')
  })

  it('ignores fields it does not know and stores none of them', async () => {
    const response = await send<{ project: Record<string, unknown> }>(fx.app, 'POST', '/projects', {
      title: 'T',
      status: 'cancelled',
      id: 'chosen-by-client',
      owner: 'me',
    })
    expect(response.status).toBe(201)
    expect(response.body.project.status).toBe('active')
    expect(response.body.project.id).not.toBe('chosen-by-client')
    expect(response.body.project).not.toHaveProperty('owner')
    expect(await selectRow(fx.db, 'projects', 'chosen-by-client')).toBeUndefined()
  })
})

describe('POST /projects/:id/tasks fields', () => {
  it.each([
    [{ phase: 'coder' }, 'title is required'],
    [{ title: 'T' }, "phase is required: one of ['planner', 'coder', 'reviewer', 'orchestrator']"],
    [
      { title: 'T', phase: 'designer' },
      `phase must be one of ['planner', 'coder', 'reviewer', 'orchestrator'], got "designer"`,
    ],
    [
      { title: 'T', phase: null },
      `phase must be one of ['planner', 'coder', 'reviewer', 'orchestrator'], got null`,
    ],
    [{ title: 'T', phase: 'coder', parent_task_id: '' }, 'parent_task_id must not be empty'],
    [
      { title: 'T', phase: 'coder', parent_task_id: 5 },
      'parent_task_id must be a string, got number',
    ],
  ])('refuses %j with 422 naming the field', async (body, detail) => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', `/projects/${projectId}/tasks`, body)
      expect(response.status).toBe(422)
      expect(response.body.detail).toBe(detail)
    })
  })
})

describe('PATCH /tasks/:id fields', () => {
  it('refuses an empty object: there is nothing to update', async () => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, {})
      expect(response.status).toBe(422)
      expect(response.body.detail).toBe(
        'Nothing to update: give at least one of status, title, description'
      )
    })
  })

  it('refuses an object with only unknown fields the same way', async () => {
    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, { phase: 'coder' })
    expect(response.status).toBe(422)
    expect(response.body.detail).toBe(
      'Nothing to update: give at least one of status, title, description'
    )
  })

  it.each([
    [{ title: '' }, 'title must not be empty'],
    [{ title: '  ' }, 'title must not be empty'],
    [{ title: null }, 'title must be a string, got null'],
    [{ status: null }, expect.stringMatching(/^status must be one of \[.*\], got null$/)],
    [{ status: 3 }, expect.stringMatching(/^status must be one of \[.*\], got 3$/)],
    [{ description: 'x', title: 9 }, 'title must be a string, got number'],
    [{ description: '\ud800' }, 'description must be valid Unicode (no lone surrogates)'],
  ])('refuses %j with 422, changing nothing', async (body, detail) => {
    const rowBefore = await selectRow(fx.db, 'tasks', task.id)
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, body)
      expect(response.status).toBe(422)
      expect(response.body.detail).toEqual(detail)
    })
    expect(await selectRow(fx.db, 'tasks', task.id)).toEqual(rowBefore)
  })

  it('validates the body before looking the task up', async () => {
    const response = await send(fx.app, 'PATCH', '/tasks/nope', {})
    expect(response.status).toBe(422)
  })
})

describe('POST /tasks/:id/comments fields', () => {
  it.each([
    [{ author_role: 'human' }, 'content is required'],
    [{ content: '', author_role: 'human' }, 'content must not be empty'],
    [{ content: ' \n ', author_role: 'human' }, 'content must not be empty'],
    [
      { content: 'x' },
      "author_role is required: one of ['planner', 'coder', 'reviewer', 'orchestrator', 'human']",
    ],
  ])('refuses %j with 422 naming the field', async (body, detail) => {
    await expectNothingWritten(async () => {
      const response = await send(fx.app, 'POST', `/tasks/${task.id}/comments`, body)
      expect(response.status).toBe(422)
      expect(response.body.detail).toBe(detail)
    })
  })
})

describe('bodies that are not UTF-8 JSON objects', () => {
  it('refuses bytes that are not valid UTF-8 with a 400 instead of storing U+FFFD', async () => {
    const before = await countRows(fx.db, 'projects')
    const response = await fx.app.request('/projects', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: new Uint8Array([
        0x7b, 0x22, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d,
      ]),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ detail: 'The request body is not valid UTF-8' })
    expect(await countRows(fx.db, 'projects')).toBe(before)
  })

  it('refuses a charset other than UTF-8 with a 415', async () => {
    const response = await send(fx.app, 'POST', '/projects', JSON.stringify({ title: 'x' }), {
      'Content-Type': 'application/json; charset=latin1',
    })
    expect(response.status).toBe(415)
    expect(response.body.detail).toBe('The body must be UTF-8, got charset=latin1')
  })

  it('refuses a JSON array as a PATCH body with the body message, not "Nothing to update"', async () => {
    const { task } = await createProjectVia(fx.app)
    const response = await send(fx.app, 'PATCH', `/tasks/${task.id}`, [{ status: 'in_progress' }])
    expect(response.status).toBe(422)
    expect(response.body.detail).toBe('The request body must be a JSON object')
  })
})
