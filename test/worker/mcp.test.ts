import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { type Target, startWorkerTarget } from '../contract/support.js'
import { startHttpSession } from '../mcp/support.js'

let target: Target

beforeAll(async () => {
  target = await startWorkerTarget()
})

afterAll(async () => {
  await target.close()
})

describe('POST /mcp on the Worker', () => {
  it('serves the same board tools as vibe-relay serve, behind the board token', async () => {
    const withToken: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('Authorization', `Bearer ${target.token}`)
      return fetch(input, { ...init, headers })
    }
    const session = await startHttpSession(`${target.url}/mcp`, withToken)
    try {
      const { tools } = await session.client.listTools()
      expect(tools.map((tool) => tool.name)).toContain('wait_for_events')

      const created = await session.call('create_project', { title: 'From the edge' })
      expect(created.isError).toBe(false)
      expect(created.body.task.title).toBe('Plan: From the edge')

      const refused = await session.call('update_task_status', {
        task_id: created.body.task.id,
        status: 'done',
      })
      expect(refused).toMatchObject({ isError: true, body: { error: 'invalid_transition' } })

      const response = await fetch(`${target.url}/projects/${String(created.body.project.id)}`, {
        headers: { Authorization: `Bearer ${target.token}` },
      })
      expect(response.status).toBe(200)
    } finally {
      await session.close()
    }
  })
})
