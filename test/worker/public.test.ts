import { describe, expect, it } from 'vitest'

import { startWorkerTarget } from '../contract/support.js'

describe('the Worker without a board token', () => {
  it('refuses every request with a 503 saying how to set a token or go public', async () => {
    const target = await startWorkerTarget({ boardToken: undefined, isPublic: false })
    try {
      const response = await fetch(`${target.url}/projects`)
      expect(response.status).toBe(503)
      const body = (await response.json()) as { detail: string }
      expect(body.detail).toMatch(/VIBE_RELAY_TOKEN/)
      expect(body.detail).toMatch(/VIBE_RELAY_PUBLIC = "true"/)
    } finally {
      await target.close()
    }
  })

  it('serves anyone when VIBE_RELAY_PUBLIC is "true"', async () => {
    const target = await startWorkerTarget({ boardToken: undefined, isPublic: true })
    try {
      const response = await fetch(`${target.url}/projects`)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual([])
    } finally {
      await target.close()
    }
  })
})
