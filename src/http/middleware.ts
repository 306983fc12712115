import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'

import { RelayError } from '../domain/errors.js'
import { MAX_BODY_BYTES } from '../domain/limits.js'
import type { Log } from '../domain/log.js'

// A path is client text: escape control characters so that it cannot start
// a forged log line or send terminal escapes.
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => {
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`
  })
}

/** One access-log line per request: method, path (no query), status, duration. */
export function accessLog(log: Log): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const elapsed = (performance.now() - started).toFixed(1)
    log('info', `${c.req.method} ${printable(c.req.path)} ${String(c.res.status)} ${elapsed}ms`)
  }
}

/** Refuses bodies over `MAX_BODY_BYTES` with 413 before they are read whole. */
export const limitBody: MiddlewareHandler = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new RelayError(
      'too_large',
      `Request body is larger than ${String(MAX_BODY_BYTES)} bytes (1 MiB)`
    )
  },
})

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i

/**
 * Checks a JSON body before the schema sees it: the Content-Type must be JSON
 * (curl's `-d` alone sends a form type, which would read as an empty
 * object), in UTF-8, the bytes valid UTF-8 (a decoder would silently put
 * U+FFFD in place of bad bytes), the text JSON, and the value an object.
 */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const [type = '', ...parameters] = (c.req.header('Content-Type') ?? '').split(';')
  const mediaType = type.trim()
  if (!JSON_TYPE.test(mediaType)) {
    throw new RelayError(
      'unsupported_media_type',
      `Content-Type must be application/json, got ${mediaType === '' ? 'none' : `'${mediaType}'`}` +
        " (with curl, add -H 'Content-Type: application/json')"
    )
  }
  const charset = parameters
    .map((parameter) => parameter.trim().split('='))
    .find(([name]) => name?.toLowerCase() === 'charset')?.[1]
    ?.replace(/"/g, '')
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new RelayError('unsupported_media_type', `The body must be UTF-8, got charset=${charset}`)
  }

  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await c.req.arrayBuffer())
  } catch {
    throw new HTTPException(400, { message: 'The request body is not valid UTF-8' })
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new HTTPException(400, { message: 'Malformed JSON in request body' })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RelayError('invalid_input', 'The request body must be a JSON object', {
      details: { errors: [{ field: '', message: 'The request body must be a JSON object' }] },
    })
  }
  await next()
}

/**
 * Calls `notify` after every successful write, so that live delivery does not
 * wait for the next poll of the event log.
 */
export function notifyOnWrite(notify: (c: Context) => void): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const isWrite = !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)
    if (isWrite && c.res.status < 400) {
      notify(c)
    }
  }
}
