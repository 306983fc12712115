import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

import { RelayError, type RelayErrorCode } from '../domain/errors.js'
import type { Log } from '../domain/log.js'

// The only place where error codes become HTTP statuses.
const STATUS_BY_CODE: Partial<Record<RelayErrorCode, ContentfulStatusCode>> = {
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
}

// A 401 must say which scheme would be accepted (RFC 9110, section 11.6.1).
const HEADERS_BY_CODE: Partial<Record<RelayErrorCode, Record<string, string>>> = {
  unauthorized: { 'WWW-Authenticate': 'Bearer realm="vibe-relay"' },
}

/** The HTTP status for a refusal: `invalid_*` is 422, unknown codes are 500. */
export function statusFor(code: RelayErrorCode): ContentfulStatusCode {
  return STATUS_BY_CODE[code] ?? (code.startsWith('invalid_') ? 422 : 500)
}

/**
 * The app's `onError`: every error becomes the `{ "detail": … }` envelope
 * that clients of the Python version parse. Refusals keep their message and
 * details; anything unexpected is logged once with its stack, and the client
 * gets a generic message.
 */
export function createErrorHandler(log: Log) {
  return (error: Error, c: Context): Response => {
    if (error instanceof RelayError && statusFor(error.code) < 500) {
      const headers = HEADERS_BY_CODE[error.code]
      return c.json({ detail: error.message, ...error.details }, statusFor(error.code), headers)
    }
    if (error instanceof HTTPException && error.status < 500) {
      const detail = error.message || error.getResponse().statusText || 'Bad request'
      return c.json({ detail }, error.status)
    }
    if (isDatabaseBusy(error)) {
      log('warn', `${c.req.method} ${c.req.path}: database busy past the busy timeout`)
      return c.json({ detail: 'The database is busy with another writer; retry shortly' }, 503, {
        'Retry-After': '1',
      })
    }
    log('error', `${c.req.method} ${c.req.path} failed: ${error.stack ?? error.message}`)
    return c.json({ detail: 'Internal server error' }, 500)
  }
}

// Another process held the write lock for longer than the busy timeout. The
// request changed nothing (its transaction never began), so a retry is safe.
// Matched by code rather than class: importing @libsql/client here would tie
// this module to one runtime's build of it.
function isDatabaseBusy(error: Error): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)
}
