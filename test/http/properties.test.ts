import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { Task } from '../../src/domain/schemas.js'
import { TASK_STATUSES, type TaskStatus } from '../../src/domain/vocabulary.js'
import { lastEventSeq, readEvents, selectRow } from '../helpers/database.js'
import { type AppFixture, createProjectVia, createTestApp, send } from '../helpers/http.js'

// The table of CONTEXT.md, as a model to check the server against.
const MODEL: Record<TaskStatus, readonly TaskStatus[]> = {
  backlog: ['in_progress', 'cancelled'],
  in_progress: ['in_review', 'cancelled'],
  in_review: ['in_progress', 'done', 'cancelled'],
  done: [],
  cancelled: [],
}

// One database for all runs: each run works on a task of its own.
let fx: AppFixture
let projectId: string

beforeAll(async () => {
  fx = await createTestApp()
  projectId = (await createProjectVia(fx.app)).project.id
})

afterAll(async () => {
  await fx.cleanup()
})

describe('PATCH /tasks/:id against the model of the state machine', () => {
  it('follows the table for any sequence of requested moves, one event per accepted move', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...TASK_STATUSES), { minLength: 1, maxLength: 8 }),
        async (requested) => {
          const created = await send<Task>(fx.app, 'POST', `/projects/${projectId}/tasks`, {
            title: 'prop',
            phase: 'coder',
          })
          const taskId = created.body.id
          let expected: TaskStatus = 'backlog'

          for (const status of requested) {
            const before = await lastEventSeq(fx.db)
            const response = await send(fx.app, 'PATCH', `/tasks/${taskId}`, { status })
            const allowed = MODEL[expected].includes(status)

            expect(response.status).toBe(allowed ? 200 : 422)
            const events = (await readEvents(fx.db)).filter((event) => event.seq > before)
            if (allowed) {
              expect(events.map((event) => event.payload)).toEqual([
                expect.objectContaining({ old_status: expected, new_status: status }),
              ])
              expected = status
            } else {
              expect(response.body).toMatchObject({
                current_status: expected,
                valid_next_states: MODEL[expected],
              })
              expect(events).toEqual([])
            }
            expect((await selectRow(fx.db, 'tasks', taskId))?.status).toBe(expected)
          }
        }
      ),
      { numRuns: 30 }
    )
  })
})

describe('the HTTP app under arbitrary input', () => {
  const CLIENT_ERRORS = [400, 404, 409, 413, 415, 422]

  it('never answers a JSON body with a 500, whatever its shape', async () => {
    const taskId = (await createProjectVia(fx.app)).task.id
    const routes = [
      ['POST', '/projects'],
      ['POST', `/projects/${projectId}/tasks`],
      ['PATCH', `/tasks/${taskId}`],
      ['POST', `/tasks/${taskId}/comments`],
    ] as const
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue(), async ([method, path], body) => {
        const response = await send(fx.app, method, path, JSON.stringify(body))
        expect([200, 201, ...CLIENT_ERRORS]).toContain(response.status)
        if (response.status >= 400) {
          expect(typeof response.body.detail).toBe('string')
        }
      }),
      { numRuns: 150 }
    )
  })

  it('never answers a raw body or an odd id with a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST /projects', 'PATCH /tasks/', 'POST /tasks/', 'GET /tasks/'),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.json({ maxDepth: 2 })),
        async (route, id, body) => {
          const [method, prefix] = route.split(' ') as [string, string]
          const path = prefix.endsWith('/') ? `${prefix}${encodeURIComponent(id)}` : prefix
          const response = await send(fx.app, method, path, method === 'GET' ? undefined : body)
          expect(response.status).not.toBeGreaterThanOrEqual(500)
        }
      ),
      { numRuns: 150 }
    )
  })
})
