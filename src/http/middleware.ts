import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

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
 * Refuses a body sent with another Content-Type than JSON (curl's `-d`
 * alone sends a form type), which would otherwise read as an empty object.
 */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim() ?? ''
  if (!JSON_TYPE.test(mediaType)) {
    throw new RelayError(
      'unsupported_media_type',
      `Content-Type must be application/json, got ${mediaType === '' ? 'none' : `'${mediaType}'`}` +
        " (with curl, add -H 'Content-Type: application/json')"
    )
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
