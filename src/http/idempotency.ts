import type { Client } from '@libsql/client'
import type { MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

import {
  completeIdempotencyKey,
  releaseIdempotencyKey,
  reserveIdempotencyKey,
} from '../db/idempotency-keys.js'
import { RelayError } from '../domain/errors.js'
import type { Log } from '../domain/log.js'
import { sha256Hex } from './hash.js'

/** Longest `Idempotency-Key` accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255

/**
 * Makes a POST that carries an `Idempotency-Key` header run once: a retry
 * with the same key, method, path and body gets the first success's status
 * and body again (with `Idempotent-Replayed: true`) and writes nothing. The
 * key is reserved in the database before the handler runs, so concurrent
 * duplicates are safe: one runs, the others get 409 while it does. A key
 * reused for another request gets 422. A refusal (4xx) or failure (5xx)
 * frees the key, so a retry runs again; successes are kept 24 h.
 *
 * What is not atomic: the write and the storing of its response are two
 * transactions. If the process dies between them, the key stays reserved
 * for a minute (retries get 409), then is freed and a retry writes a second
 * object. The same happens after a 5xx whose write did commit (a remote
 * database that committed but whose answer was lost).
 */
export function idempotency({ db, log }: { db: Client; log: Log }): MiddlewareHandler {
  return async (c, next) => {
    const key = c.req.header('Idempotency-Key')
    if (key === undefined) {
      await next()
      return
    }
    if (key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new RelayError(
        'invalid_input',
        `Idempotency-Key must be 1 to ${String(MAX_IDEMPOTENCY_KEY_LENGTH)} characters ` +
          `(a UUID is a good choice), got ${String(key.length)}`
      )
    }

    const body = await c.req.arrayBuffer()
    const request = {
      key,
      method: c.req.method,
      path: c.req.path,
      fingerprint: await sha256Hex(new Uint8Array(body)),
    }
    const reservation = await reserveIdempotencyKey(db, request)
    if ('replay' in reservation) {
      const { status, body: stored } = reservation.replay
      return c.body(stored, status as ContentfulStatusCode, {
        'Content-Type': 'application/json',
        'Idempotent-Replayed': 'true',
      })
    }

    await next()

    const status = c.res.status
    try {
      if (status >= 200 && status < 300) {
        const response = { status, body: await c.res.clone().text() }
        await completeIdempotencyKey(db, key, reservation.owner, response)
      } else {
        await releaseIdempotencyKey(db, key, reservation.owner)
      }
    } catch (error) {
      // The client still gets its answer; the key frees itself after the lease.
      log(
        'warn',
        `could not store the idempotency key of ${c.req.method} ${c.req.path}: ${
          error instanceof Error ? error.message : String(error)
        }`
      )
    }
  }
}
