import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createApp } from '../../src/http/app.js'
import { type TempDatabase, createTempDatabase, lastEventSeq } from '../helpers/database.js'
import { type McpSession, startHttpSession } from './support.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

let temp: TempDatabase
const cleanups: (() => Promise<void> | void)[] = []

beforeEach(async () => {
  temp = await createTempDatabase()
  cleanups.push(() => temp.cleanup())
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** An MCP client talking to the app in memory, with no server or port. */
async function connectTo(app: ReturnType<typeof createApp>): Promise<McpSession> {
  const session = await startHttpSession('http://board.test/mcp', (input, init) =>
    Promise.resolve(app.request(input instanceof Request ? input : String(input), init))
  )
  cleanups.push(() => session.close())
  return session
}

describe('POST /mcp', () => {
  it('notifies the event relay after a write, once the write has committed', async () => {
    const order: string[] = []
    const db = new Proxy(temp.db, {
      get(target, key) {
        if (key === 'batch') {
          return async (...args: Parameters<typeof target.batch>) => {
            const results = await target.batch(...args)
            order.push(`committed ${args[1] ?? ''}`)
            return results
          }
        }
        const value: unknown = Reflect.get(target, key)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const app = createApp({ db, mcp: { sleep }, onWrite: () => order.push('notified') })
    const session = await connectTo(app)
    order.length = 0

    const { body } = await session.call('create_project', { title: 'Notified' })

    expect(body.project.title).toBe('Notified')
    expect(order).toEqual(['committed write', 'notified'])
    expect(await lastEventSeq(temp.db)).toBe(2)
  })

  it('refuses a call with the reason code as a tool error, not an HTTP error', async () => {
    const app = createApp({ db: temp.db, mcp: { sleep } })
    const session = await connectTo(app)

    const outcome = await session.call('get_board', { project_id: 'missing' })

    expect(outcome).toEqual({
      isError: true,
      body: { error: 'not_found', message: "Project 'missing' not found" },
    })
  })

  it('answers GET with 405, as a stateless endpoint has no stream to open', async () => {
    const app = createApp({ db: temp.db, mcp: { sleep } })

    const response = await app.request('/mcp', { headers: { Accept: 'text/event-stream' } })

    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('POST')
  })

  it('is not served when the app is built without the mcp option', async () => {
    const app = createApp({ db: temp.db })

    const response = await app.request('/mcp', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: '{}',
    })

    expect(response.status).toBe(404)
  })
})
