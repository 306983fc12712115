import type { Client } from '@libsql/client'

import { RelayError } from '../domain/errors.js'
import { newId } from './rows.js'

/** How long a key's stored response is replayed, in ms (24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000

/**
 * How long a reservation whose request never finished blocks its key, in ms.
 * A request holds it for the few ms its write takes; one still unfinished
 * after a minute belonged to a server that died, and its key is freed.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000

/** A POST as the idempotency store compares it: same key, same request. */
export interface IdempotentRequest {
  key: string
  method: string
  path: string
  /** A hash of the request body. */
  fingerprint: string
}

/** A response stored under a key, to send again to a retry. */
export interface StoredResponse {
  status: number
  body: string
}

/** What `reserveIdempotencyKey` found: the key is ours now, or its response is stored. */
export type Reservation = { owner: string } | { replay: StoredResponse }

/**
 * Takes a key for a request about to run, or finds the response of the
 * request that already ran with it. Expired keys (older than
 * `IDEMPOTENCY_TTL_MS`) and abandoned reservations (older than
 * `IDEMPOTENCY_LEASE_MS`, unfinished) are deleted in the same transaction.
 *
 * The reservation is one write transaction, so of two requests racing with
 * one key exactly one gets `{ owner }`; it must later call
 * `completeIdempotencyKey` or `releaseIdempotencyKey` with that owner.
 *
 * @throws {RelayError} `invalid_input` when the key was used for another
 *   method, path or body; `conflict` when a request with the key is still
 *   running.
 */
export async function reserveIdempotencyKey(
  db: Client,
  request: IdempotentRequest,
  nowMs = Date.now()
): Promise<Reservation> {
  const owner = newId()
  const results = await db.batch(
    [
      {
        sql: `DELETE FROM idempotency_keys
              WHERE created_at < ? OR (status IS NULL AND created_at < ?)`,
        args: [
          new Date(nowMs - IDEMPOTENCY_TTL_MS).toISOString(),
          new Date(nowMs - IDEMPOTENCY_LEASE_MS).toISOString(),
        ],
      },
      {
        sql: `INSERT INTO idempotency_keys (key, method, path, fingerprint, owner, created_at)
              VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
        args: [
          request.key,
          request.method,
          request.path,
          request.fingerprint,
          owner,
          new Date(nowMs).toISOString(),
        ],
      },
      {
        sql: `SELECT method, path, fingerprint, owner, status, body
              FROM idempotency_keys WHERE key = ?`,
        args: [request.key],
      },
    ],
    'write'
  )

  const row = results[2]?.rows[0]
  if (!row || row.owner === owner) {
    return { owner }
  }
  if (row.method !== request.method || row.path !== request.path) {
    throw new RelayError(
      'invalid_input',
      `Idempotency-Key '${request.key}' was already used for ${row.method as string} ` +
        `${row.path as string}; use a new key for each different request`
    )
  }
  if (row.fingerprint !== request.fingerprint) {
    throw new RelayError(
      'invalid_input',
      `Idempotency-Key '${request.key}' was already used with a different body; ` +
        'send the same body to retry, or use a new key for a new request'
    )
  }
  if (row.status === null || typeof row.body !== 'string') {
    throw new RelayError(
      'conflict',
      `A request with Idempotency-Key '${request.key}' is still being processed; ` +
        'retry in a moment to get its response'
    )
  }
  return { replay: { status: Number(row.status), body: row.body } }
}

/**
 * Stores the response of the request that reserved `key`, to be replayed
 * to retries. Does nothing if the reservation was lost meanwhile.
 *
 * @throws the client's `LibsqlError` when the database cannot be written.
 */
export async function completeIdempotencyKey(
  db: Client,
  key: string,
  owner: string,
  response: StoredResponse
): Promise<void> {
  await db.execute({
    sql: 'UPDATE idempotency_keys SET status = ?, body = ? WHERE key = ? AND owner = ?',
    args: [response.status, response.body, key, owner],
  })
}

/**
 * Frees a key whose request was refused or failed (it wrote nothing), so
 * that a retry runs again.
 *
 * @throws the client's `LibsqlError` when the database cannot be written.
 */
export async function releaseIdempotencyKey(db: Client, key: string, owner: string): Promise<void> {
  await db.execute({
    sql: 'DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND status IS NULL',
    args: [key, owner],
  })
}
