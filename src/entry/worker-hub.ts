import type {
  DurableObjectState,
  WebSocket as WorkerSocket,
} from '@cloudflare/workers-types/latest/index.ts'

import { findLatestPosition, markEventsConsumed } from '../db/events.js'
import type { Log } from '../domain/log.js'
import { Hub, type Socket, type Subscription } from '../realtime/hub.js'
import { EventRelay } from '../realtime/relay.js'
import { type WorkerEnv, connectDatabase, pollIntervalOf, workerLog } from './worker-env.js'

// The runtime's global; declared here so that no Workers types leak into the
// Node program's globals.
declare const WebSocketPair: new () => { 0: WorkerSocket; 1: WorkerSocket }

/** The path on which the Worker tells the hub that it wrote something. */
export const NOTIFY_PATH = '/notify'

/** Where the relay's position is kept in the Durable Object's storage. */
const POSITION_KEY = 'relay_position'

/** How often consumed events older than a week are deleted, as the Node entry does, in ms. */
const PRUNE_EVERY_MS = 3600_000
const RETENTION_MS = 7 * 24 * 3600_000

/**
 * The one Durable Object that holds every websocket of the board, and the
 * loop that feeds them: the Node entry's hub and relay, driven by an alarm
 * instead of a timer.
 *
 * - Sockets are accepted with the hibernation API, each with its
 *   subscription (`project_id`, label) as attachment, so that they outlive
 *   the object's eviction from memory.
 * - While any socket is open, the alarm polls the `events` table every
 *   `VIBE_RELAY_POLL_INTERVAL_MS` (500 ms), broadcasts and marks rows
 *   consumed; with none open, it stops rescheduling.
 * - The relay's position is saved in storage after every poll and restored
 *   when the object starts again.
 * - The Worker calls `POST /notify` after its own writes, for a poll now.
 */
export class BoardHub {
  readonly #state: DurableObjectState
  readonly #env: WorkerEnv
  readonly #log: Log
  readonly #hub: Hub
  readonly #sockets = new WeakMap<WorkerSocket, Socket>()
  #relay: Promise<EventRelay> | undefined
  #savedPosition: number | undefined
  #isLooping = false
  #isRestoring = false
  #prunedAt = 0
  // Polls, position changes and loop starts run one at a time, in order.
  #queue: Promise<unknown> = Promise.resolve()

  constructor(state: DurableObjectState, env: WorkerEnv) {
    this.#state = state
    this.#env = env
    this.#log = workerLog
    this.#hub = new Hub({
      log: (level, message) => {
        if (!this.#isRestoring) {
          this.#log(level, message)
        }
      },
    })
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (request.method === 'POST' && url.pathname === NOTIFY_PATH) {
      await this.#pollIfWatched()
      return new Response(null, { status: 204 })
    }
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return Response.json({ detail: 'Expected a websocket upgrade' }, { status: 426 })
    }
    return this.#connect(request, url)
  }

  async alarm(): Promise<void> {
    const started = Date.now()
    // In the queue, so that whether the loop goes on is decided either
    // before a connecting client is accepted (which then restarts it) or
    // after (which keeps it going), never in between.
    await this.#serially(async () => {
      if (this.#state.getWebSockets().length === 0) {
        this.#stopLoop()
        return
      }
      this.#isLooping = true
      try {
        await this.#poll()
      } catch (error) {
        this.#log('error', `event poll failed: ${describe(error)}`)
      }
      if (this.#state.getWebSockets().length === 0) {
        this.#stopLoop()
        return
      }
      // Counted from the start of this poll, so a slow poll does not
      // stretch the interval; a time already past fires at once.
      await this.#state.storage.setAlarm(started + pollIntervalOf(this.#env))
    })
  }

  webSocketMessage(_ws: WorkerSocket, _message: string | ArrayBuffer): void {
    // Clients only listen; what they send is ignored, as on Node.
  }

  async webSocketClose(ws: WorkerSocket, code: number, reason: string): Promise<void> {
    await this.#forget(ws)
    try {
      // 1005 and 1006 describe a close without a code; they cannot be sent.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason)
    } catch {
      // Already closed on our side: nothing left to answer.
    }
  }

  async webSocketError(ws: WorkerSocket, error: unknown): Promise<void> {
    this.#log('warn', `websocket error: ${describe(error)}`)
    await this.#forget(ws)
  }

  async #connect(request: Request, url: URL): Promise<Response> {
    // The Worker's app has checked both parameters before forwarding.
    const since = url.searchParams.get('since') ?? request.headers.get('Last-Event-ID')
    const subscription: Subscription = {
      project_id: url.searchParams.get('project_id'),
      label: `websocket ${request.headers.get('CF-Connecting-IP') ?? 'client'}`,
    }
    const pair = new WebSocketPair()
    const server = pair[1]
    const relay = await this.#serially(async () => {
      const started = await this.#startLoop()
      this.#state.acceptWebSocket(server)
      server.serializeAttachment(subscription)
      const after = since === null ? undefined : Number(since)
      started.subscribe(this.#adapt(server), subscription, after)
      return started
    })
    if (since !== null) {
      // The backlog goes out in a poll that subscribe() started; queueing
      // behind it keeps later position changes from overtaking it.
      void this.#serially(() => relay.poll())
    }

    // A client that offered subprotocols (`bearer, <token>` carries the
    // board's token) must get one back; like Node's ws, answer the first.
    const offered = request.headers.get('Sec-WebSocket-Protocol')?.split(',')[0]?.trim()
    const headers: Record<string, string> = offered ? { 'Sec-WebSocket-Protocol': offered } : {}
    // workerd's ResponseInit takes the client end of the pair; the DOM type omits it.
    const init = { status: 101, webSocket: pair[0], headers }
    return new Response(null, init)
  }

  // A write through the Worker: poll now rather than at the next alarm. With
  // no socket open there is nobody to tell.
  async #pollIfWatched(): Promise<void> {
    if (this.#state.getWebSockets().length > 0) {
      await this.#serially(() => this.#poll())
    }
  }

  async #startLoop(): Promise<EventRelay> {
    const relay = await this.#getRelay()
    if (this.#isLooping || (await this.#state.storage.getAlarm()) !== null) {
      // Deliver what is already written to the clients there are, so that a
      // new client starts from now, as on Node, where a write polls at once.
      await relay.poll()
      await this.#savePosition(relay)
      return relay
    }

    // The loop was idle, so nobody could receive the events written since
    // it stopped. Skip them and mark them consumed, as a Node server
    // polling with no clients would have, rather than replay a backlog of
    // any size to the first client that connects.
    const db = await connectDatabase(this.#env, this.#log)
    const latest = await findLatestPosition(db)
    if (latest > relay.position) {
      await markEventsConsumed(db, latest, relay.position)
      await relay.start(latest)
      await this.#savePosition(relay)
    }
    this.#isLooping = true
    await this.#state.storage.setAlarm(Date.now() + pollIntervalOf(this.#env))
    this.#log('info', 'event polling started')
    return relay
  }

  #stopLoop(): void {
    if (this.#isLooping) {
      this.#log('info', 'no websockets open: event polling stopped')
    }
    this.#isLooping = false
  }

  async #poll(): Promise<void> {
    const relay = await this.#getRelay()
    await relay.poll()
    await this.#savePosition(relay)
    if (Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = Date.now()
      await relay.prune(RETENTION_MS).catch((error: unknown) => {
        this.#log('error', `event pruning failed: ${describe(error)}`)
      })
    }
  }

  #getRelay(): Promise<EventRelay> {
    this.#relay ??= this.#createRelay().catch((error: unknown) => {
      this.#relay = undefined
      throw error
    })
    return this.#relay
  }

  async #createRelay(): Promise<EventRelay> {
    const db = await connectDatabase(this.#env, this.#log)
    const relay = new EventRelay({ db, hub: this.#hub, log: this.#log })
    const saved = await this.#state.storage.get<number>(POSITION_KEY)
    await relay.start(saved)
    this.#savedPosition = saved

    // Sockets accepted before the object was evicted are still open; the
    // hub that knew them is not. They resume from the saved position.
    const sockets = this.#state.getWebSockets()
    this.#isRestoring = true
    try {
      for (const ws of sockets) {
        this.#hub.add(this.#adapt(ws), subscriptionOf(ws), relay.position)
      }
    } finally {
      this.#isRestoring = false
    }
    if (sockets.length > 0) {
      this.#log(
        'info',
        `hub woke up with ${String(sockets.length)} websockets open; ` +
          `resuming the event log after seq ${String(relay.position)}`
      )
    }
    return relay
  }

  async #savePosition(relay: EventRelay): Promise<void> {
    if (relay.position !== this.#savedPosition) {
      await this.#state.storage.put(POSITION_KEY, relay.position)
      this.#savedPosition = relay.position
    }
  }

  async #forget(ws: WorkerSocket): Promise<void> {
    const socket = this.#sockets.get(ws)
    const relay = await this.#relay?.catch(() => undefined)
    if (socket && relay) {
      relay.unsubscribe(socket)
    }
  }

  #adapt(ws: WorkerSocket): Socket {
    let socket = this.#sockets.get(ws)
    if (!socket) {
      socket = {
        send: (data) => {
          ws.send(data)
        },
        close: (code, reason) => {
          ws.close(code, reason)
        },
      }
      this.#sockets.set(ws, socket)
    }
    return socket
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task)
    this.#queue = run.catch(() => undefined)
    return run
  }
}

function subscriptionOf(ws: WorkerSocket): Subscription {
  const attachment = ws.deserializeAttachment() as Partial<Subscription> | null
  return {
    project_id: attachment?.project_id ?? null,
    label: attachment?.label ?? 'websocket client',
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
