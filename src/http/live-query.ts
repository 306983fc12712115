import type { Context } from 'hono'
import * as v from 'valibot'

import { parseInput } from '../domain/validate.js'

const Position = (field: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,15}$/, `${field} must be a whole number (an event's seq), e.g. ${field}=42`),
    v.transform(Number)
  )

/** Query of `/ws` and `/events`: where to resume, which project, how many (JSON page only). */
export const LiveQuerySchema = v.object({
  since: v.optional(Position('since')),
  project_id: v.optional(v.pipe(v.string(), v.nonEmpty('project_id must not be empty'))),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, 'limit must be a whole number from 1 to 1000'),
      v.transform(Number),
      v.minValue(1, 'limit must be a whole number from 1 to 1000'),
      v.maxValue(1000, 'limit must be a whole number from 1 to 1000')
    )
  ),
})
export type LiveQuery = v.InferOutput<typeof LiveQuerySchema>

/**
 * Reads and checks the live-delivery query. `since` may also come from the
 * `Last-Event-ID` header that browsers' EventSource sends when it reconnects.
 *
 * @throws {RelayError} `invalid_input` naming the bad parameter.
 */
export function parseLiveQuery(c: Context): LiveQuery {
  const query = parseInput(LiveQuerySchema, c.req.query())
  const lastEventId = c.req.header('Last-Event-ID')
  if (query.since === undefined && lastEventId !== undefined) {
    return { ...query, since: parseInput(Position('Last-Event-ID'), lastEventId) }
  }
  return query
}
