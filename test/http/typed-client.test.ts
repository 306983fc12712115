import { hc } from 'hono/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createApp, type AppType } from '../../src/index.js'
import { type TempDatabase, createTempDatabase } from '../helpers/database.js'

let temp: TempDatabase

beforeEach(async () => {
  temp = await createTempDatabase()
})

afterEach(async () => {
  await temp.cleanup()
})

describe('AppType with hono/client', () => {
  it('types the routes so that a TypeScript client can create and read a project', async () => {
    const app = createApp({ db: temp.db })
    const api = hc<AppType>('http://board.test', {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => app.request(input, init),
    })

    const created = await api.projects.$post({ json: { title: 'Typed' } })
    expect(created.status).toBe(201)
    const { project, task } = await created.json()
    expect(task.title).toBe('Plan: Typed')

    const detail = await api.projects[':project_id'].$get({ param: { project_id: project.id } })
    const body = await detail.json()
    expect(body.tasks.backlog).toBe(1)

    const patched = await api.tasks[':task_id'].$patch({
      param: { task_id: task.id },
      json: { status: 'in_progress' },
    })
    expect(patched.status).toBe(200)
  })
})
