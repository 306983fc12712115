import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import * as v from 'valibot'

import { findLatestPosition, readEventsAfter } from '../db/events.js'
import { RelayError } from '../domain/errors.js'
import type { BoardEvent } from '../domain/events.js'
import type { Socket } from '../realtime/hub.js'
import { resolveEvent } from '../realtime/resolve-event.js'
import type { AppDeps } from './deps.js'
import { parseLiveQuery } from './live-query.js'
import { describe } from './openapi.js'

const EventPageSchema = v.object({
  events: v.array(
    v.object({
      type: v.string(),
      seq: v.number(),
      project_id: v.nullable(v.string()),
      payload: v.unknown(),
    })
  ),
  next_since: v.pipe(v.number(), v.description('Pass as `since` to read the next page')),
  latest: v.pipe(v.number(), v.description('The newest position in the log')),
})

/** Comment lines that keep proxies from closing an idle stream, in ms. */
const KEEPALIVE_MS = 15_000

/**
 * `GET /events`: the event log over plain HTTP, for clients without
 * websockets. With `limit`, one JSON page after `since`; without, a
 * server-sent event stream (`curl -N`) that resumes after `since` or
 * `Last-Event-ID` and then stays live.
 */
export function eventRoutes({ db, live }: AppDeps) {
  return new Hono().get(
    '/events',
    describe(
      'events',
      'Board events: a JSON page with ?limit=, else a server-sent event stream',
      { status: 200, schema: EventPageSchema, description: 'A page of the event log' },
      [422]
    ),
    async (c) => {
      const query = parseLiveQuery(c)
      const projectId = query.project_id ?? null

      if (query.limit !== undefined) {
        const after = query.since ?? 0
        const rows = await readEventsAfter(db, after, query.limit)
        const events: BoardEvent[] = []
        for (const row of rows) {
          const event = await resolveEvent(db, row)
          if (projectId === null || event.project_id === projectId) {
            events.push(event)
          }
        }
        const latest = await findLatestPosition(db)
        return c.json({ events, next_since: rows.at(-1)?.seq ?? after, latest }, 200)
      }

      if (!live) {
        throw new RelayError(
          'invalid_input',
          'This runtime has no live event stream; use /ws, or page the log with ?since=&limit='
        )
      }
      // A HEAD request gets the stream's headers only: it must not subscribe,
      // since nothing would ever read or end the stream.
      if (c.req.method === 'HEAD') {
        return c.body(null, 200, { 'Content-Type': 'text/event-stream' })
      }
      return streamSSE(c, async (stream) => {
        // Bytes handed to the stream and not yet taken by the connection: a
        // client that stops reading makes this grow, and the hub drops it past
        // its limit, as it drops a slow websocket.
        let unsentBytes = 0
        const socket: Socket = {
          send: (data, event) => {
            unsentBytes += data.length
            stream
              .writeSSE({ id: String(event.seq), event: event.type, data })
              .finally(() => (unsentBytes -= data.length))
              .catch(() => undefined)
          },
          close: () => {
            void stream.close()
          },
          get bufferedAmount() {
            return unsentBytes
          },
        }
        stream.onAbort(() => {
          live.unsubscribe(socket)
        })
        live.subscribe(socket, { project_id: projectId, label: 'event stream' }, query.since)

        while (!stream.aborted && !stream.closed) {
          await stream.sleep(KEEPALIVE_MS)
          await stream.write(': keepalive\n\n')
        }
        live.unsubscribe(socket)
      })
    }
  )
}
