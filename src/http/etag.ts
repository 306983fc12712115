import { TASK_COLUMNS } from '../db/rows.js'
import { RelayError } from '../domain/errors.js'
import type { Task } from '../domain/schemas.js'
import { sha256Hex } from './hash.js'

/**
 * A task's version as a strong entity tag: the SHA-256 of its row (every
 * column, comments not included), quoted. Any change by any writer changes it.
 */
export async function taskETag(task: Task): Promise<string> {
  const row = TASK_COLUMNS.map((column) => task[column])
  return `"${await sha256Hex(JSON.stringify(row))}"`
}

/**
 * The tags of an `If-Match` header; `*` matches any existing task. Weak tags
 * (`W/"…"`) never match: `If-Match` compares strongly (RFC 9110, 13.1.1). A
 * tag sent without its quotes is read as if quoted.
 */
function parseIfMatch(header: string): { any: boolean; tags: string[] } {
  const items = header
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  return {
    any: items.includes('*'),
    tags: items
      .filter((item) => !item.startsWith('W/') && item !== '*')
      .map((item) => (item.startsWith('"') ? item : `"${item}"`)),
  }
}

/**
 * The check `updateTask` runs on the task it read, for a request's
 * `If-Match` header; `undefined` without the header.
 */
export function ifMatchCheck(header: string | undefined) {
  if (header === undefined) {
    return undefined
  }
  const wanted = parseIfMatch(header)
  return async (current: Task): Promise<void> => {
    const etag = await taskETag(current)
    if (!wanted.any && !wanted.tags.includes(etag)) {
      throw new RelayError(
        'precondition_failed',
        `Task '${current.id}' has changed since you read it: If-Match does not match its ` +
          `current ETag ${etag}. GET it again, then retry with the new ETag`,
        { details: { etag } }
      )
    }
  }
}
