import type { Context, MiddlewareHandler } from 'hono'

import { RelayError } from '../domain/errors.js'
import { isSameSecret } from './hash.js'

/** Paths served without a token: the API's description holds no board data. */
export const PUBLIC_PATHS: readonly string[] = ['/docs', '/openapi.json']

// Browsers cannot set headers on a websocket or an EventSource, so these two
// also take the token from the subprotocol list or the query string.
const STREAM_PATHS: readonly string[] = ['/ws', '/events']

/** The subprotocol that announces the token as the next one in the list. */
export const BEARER_SUBPROTOCOL = 'bearer'

const HOW =
  'send Authorization: Bearer <token> (websockets and /events may instead offer the ' +
  `subprotocols "${BEARER_SUBPROTOCOL}, <token>" or add ?token=<token>)`

function bearerToken(c: Context): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('Authorization') ?? '')
  if (match) {
    return match[1]
  }
  if (!STREAM_PATHS.includes(c.req.path)) {
    return undefined
  }
  const protocols = (c.req.header('Sec-WebSocket-Protocol') ?? '')
    .split(',')
    .map((protocol) => protocol.trim())
  const offered = protocols.indexOf(BEARER_SUBPROTOCOL)
  if (offered >= 0 && protocols[offered + 1]) {
    return protocols[offered + 1]
  }
  return c.req.query('token')
}

/**
 * Refuses every request without the shared secret `token` with 401 and
 * `WWW-Authenticate: Bearer`. The token is taken from `Authorization:
 * Bearer`, or for `/ws` and `/events` from the subprotocols `bearer, <token>`
 * (a websocket server that echoes the first offered subprotocol answers
 * `bearer`, never the token) or `?token=`. It is compared in constant time
 * and never logged. CORS preflights and `PUBLIC_PATHS` pass without it.
 *
 * @throws {Error} when `token` is empty: a server must not silently run open.
 */
export function requireToken(token: string): MiddlewareHandler {
  if (token.trim() === '') {
    throw new Error('The auth token must not be empty; leave it unset to serve without auth')
  }
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' || PUBLIC_PATHS.includes(c.req.path)) {
      await next()
      return
    }
    const given = bearerToken(c)
    if (given === undefined) {
      throw new RelayError('unauthorized', `This board needs a token: ${HOW}`)
    }
    if (!(await isSameSecret(given, token))) {
      throw new RelayError('unauthorized', `The token is not valid for this board: ${HOW}`)
    }
    await next()
  }
}
