import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { RunningServer } from '../../src/entry/node.js'
import { createApp } from '../../src/http/app.js'
import { type TempDatabase, countRows, createTempDatabase } from '../helpers/database.js'
import { type ServeProcess, spawnServe } from '../helpers/cli.js'
import { type TestApp, send } from '../helpers/http.js'
import { type LogSpy, listen, openSocket, spyLog, startServerOn } from './support.js'

const TOKEN = 's3cret-Token_42.x~y'
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

describe('createApp({ token }) over REST', () => {
  let temp: TempDatabase
  let app: TestApp
  let spy: LogSpy

  beforeAll(async () => {
    temp = await createTempDatabase()
    spy = spyLog()
    app = createApp({ db: temp.db, token: TOKEN, log: spy.log })
  })

  afterAll(async () => {
    await temp.cleanup()
  })

  it('refuses a request without a token with 401, a detail and WWW-Authenticate', async () => {
    const response = await send(app, 'GET', '/projects')
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer realm="vibe-relay"')
    expect(response.body.detail).toBe(
      'This board needs a token: send Authorization: Bearer <token> (websockets and ' +
        '/events may instead offer the subprotocols "bearer, <token>" or add ?token=<token>)'
    )
  })

  it('refuses a wrong token, another scheme and a near miss with 401, writing nothing', async () => {
    const attempts = [
      bearer('wrong'),
      bearer(`${TOKEN}x`),
      bearer(TOKEN.slice(0, -1)),
      { Authorization: `Basic ${btoa(`user:${TOKEN}`)}` },
      { Authorization: TOKEN },
    ]
    for (const headers of attempts) {
      const response = await send(app, 'POST', '/projects', { title: 'Stranger' }, headers)
      expect(response.status).toBe(401)
      expect(response.body.detail).toMatch(/^(The token is not valid|This board needs a token)/)
    }
    expect(await countRows(temp.db, 'projects')).toBe(0)
  })

  it('serves every route with the right token, in any case of the scheme name', async () => {
    const created = await send(app, 'POST', '/projects', { title: 'Friend' }, bearer(TOKEN))
    expect(created.status).toBe(201)
    const listed = await send(app, 'GET', '/projects', undefined, {
      Authorization: `bearer ${TOKEN}`,
    })
    expect(listed.status).toBe(200)
  })

  it('takes ?token= only on /events and /ws, not on REST routes', async () => {
    expect((await send(app, 'GET', `/projects?token=${TOKEN}`)).status).toBe(401)
    expect((await send(app, 'GET', `/events?limit=1&token=${TOKEN}`)).status).toBe(200)
    expect((await send(app, 'GET', '/events?limit=1&token=wrong')).status).toBe(401)
  })

  it('lets CORS preflights, /docs and /openapi.json through without a token', async () => {
    const preflight = await app.request('/projects', {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toBe('authorization,content-type')
    expect((await app.request('/docs')).status).toBe(200)
    expect((await app.request('/openapi.json')).status).toBe(200)
  })

  it('never writes the token into a log line', () => {
    expect(spy.lines.length).toBeGreaterThan(5)
    expect(spy.lines.filter((line) => line.includes(TOKEN))).toEqual([])
  })

  it('refuses to be built with an empty token', () => {
    expect(() => createApp({ db: temp.db, token: ' ' })).toThrow(/must not be empty/)
  })
})

describe('startServer({ token }) websockets', () => {
  let temp: TempDatabase
  let server: RunningServer
  let spy: LogSpy
  let ws: string

  beforeAll(async () => {
    temp = await createTempDatabase()
    spy = spyLog()
    server = await startServerOn(temp.path, { token: TOKEN, log: spy.log })
    ws = `${server.url.replace('http', 'ws')}/ws`
  })

  afterAll(async () => {
    await server.close()
    await temp.cleanup()
  })

  it('refuses an upgrade without a token or with a wrong one with 401', async () => {
    expect(await openSocket(ws)).toEqual({ refused: 401 })
    expect(await openSocket(ws, { headers: bearer('wrong') })).toEqual({ refused: 401 })
    expect(await openSocket(`${ws}?token=wrong`)).toEqual({ refused: 401 })
    expect(await openSocket(ws, { protocols: ['bearer', 'wrong'] })).toEqual({ refused: 401 })
  })

  it('accepts the bearer header, the query token and the bearer subprotocol', async () => {
    const viaHeader = await listen(ws, bearer(TOKEN))
    const viaQuery = await listen(`${ws}?token=${encodeURIComponent(TOKEN)}`)
    const viaProtocol = await openSocket(ws, { protocols: ['bearer', TOKEN] })
    if ('refused' in viaProtocol) {
      throw new Error(`subprotocol form refused with ${String(viaProtocol.refused)}`)
    }
    // The server answers with `bearer`: echoing the token would put it in more logs.
    expect(viaProtocol.protocol).toBe('bearer')

    try {
      const response = await fetch(`${server.url}/projects`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...bearer(TOKEN) },
        body: JSON.stringify({ title: 'Seen by all three' }),
      })
      expect(response.status).toBe(201)
      const sawIt = (l: { events: { type: string }[] }) =>
        l.events.some((event) => event.type === 'project_created')
      for (const listener of [viaHeader, viaQuery, viaProtocol]) {
        await listener.until(() => sawIt(listener))
      }
    } finally {
      viaHeader.close()
      viaQuery.close()
      viaProtocol.close()
    }
  })

  it('keeps the token and the query string out of every log line', () => {
    const logged = spy.lines.join('\n')
    expect(logged).toContain('GET /ws')
    expect(logged).not.toContain(TOKEN)
    expect(logged).not.toContain('token=')
  })
})

describe('vibe-relay serve with VIBE_RELAY_TOKEN', () => {
  let temp: TempDatabase
  let serve: ServeProcess | undefined

  beforeAll(async () => {
    temp = await createTempDatabase()
  })

  afterAll(async () => {
    await serve?.stop()
    await temp.cleanup()
  })

  it('requires the token from the environment and never prints it', async () => {
    serve = await spawnServe(temp.path, [], { VIBE_RELAY_TOKEN: TOKEN })
    expect((await fetch(`${serve.url}/projects`)).status).toBe(401)
    const ok = await fetch(`${serve.url}/projects`, { headers: bearer(TOKEN) })
    expect(ok.status).toBe(200)
    await serve.stop()

    expect(serve.stderr.join('\n')).toContain('bearer token required')
    expect(serve.stderr.join('\n')).not.toContain(TOKEN)
  })

  it('warns when bound beyond loopback without a token, and not with one', async () => {
    const open = await spawnServe(temp.path, ['--host', '0.0.0.0'])
    await open.stop()
    expect(open.stderr).toContainEqual(
      'warn: serving on 0.0.0.0 without a token: anyone who can reach this address can ' +
        'read and change the board. Set VIBE_RELAY_TOKEN to require one, or bind 127.0.0.1'
    )

    const guarded = await spawnServe(temp.path, ['--host', '0.0.0.0'], { VIBE_RELAY_TOKEN: TOKEN })
    await guarded.stop()
    expect(guarded.stderr.filter((line) => line.startsWith('warn:'))).toEqual([])

    const local = await spawnServe(temp.path)
    await local.stop()
    expect(local.stderr.filter((line) => line.startsWith('warn:'))).toEqual([])
  })
})
