import type { BoardEvent } from '../domain/events.js'
import { type Log, silentLog } from '../domain/log.js'

/** The part of a websocket the hub uses; each runtime adapts its own socket to it. */
export interface Socket {
  send(data: string): void
  close(code?: number, reason?: string): void
  /** Bytes queued but not yet sent, where the runtime tells; used to drop stuck clients. */
  readonly bufferedAmount?: number
}

/** What a client asked to receive. */
export interface Subscription {
  /** Only this project's events; `null` for every event. */
  project_id: string | null
  /** How the connection is named in log lines, e.g. its remote address. */
  label: string
}

/** Close code for a client whose unsent messages pile up beyond the limit. */
export const CLOSE_TOO_SLOW = 1013

/** Close code sent to every client when the server shuts down. */
export const CLOSE_GOING_AWAY = 1001

/**
 * The open websocket connections of one process, and the fan-out of board
 * events to them. Sending never waits: a socket that throws, or whose unsent
 * messages exceed `maxBufferedBytes`, is closed and dropped without holding
 * up the others.
 */
export class Hub {
  readonly #clients = new Map<Socket, Subscription>()
  readonly #log: Log
  readonly #maxBufferedBytes: number

  constructor(options: { log?: Log; maxBufferedBytes?: number } = {}) {
    this.#log = options.log ?? silentLog
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024
  }

  /** How many connections are open. */
  get size(): number {
    return this.#clients.size
  }

  /** Starts sending events to `socket`. */
  add(socket: Socket, subscription: Subscription): void {
    this.#clients.set(socket, subscription)
    this.#log('info', `websocket ${subscription.label} connected (${String(this.size)} open)`)
  }

  /** Stops sending to `socket`; harmless for a socket that was already removed. */
  remove(socket: Socket): void {
    const subscription = this.#clients.get(socket)
    if (subscription && this.#clients.delete(socket)) {
      this.#log('info', `websocket ${subscription.label} disconnected (${String(this.size)} open)`)
    }
  }

  /** Sends one event to every connection subscribed to it; returns how many got it. */
  broadcast(event: BoardEvent): number {
    const message = JSON.stringify(event)
    let delivered = 0
    for (const [socket, subscription] of this.#clients) {
      if (subscription.project_id !== null && subscription.project_id !== event.project_id) {
        continue
      }
      if ((socket.bufferedAmount ?? 0) > this.#maxBufferedBytes) {
        this.#drop(socket, subscription, CLOSE_TOO_SLOW, 'Client too slow: send queue full')
        continue
      }
      try {
        socket.send(message)
        delivered++
      } catch (error) {
        this.#drop(socket, subscription, 1011, `Send failed: ${describe(error)}`)
      }
    }
    return delivered
  }

  /** Closes every connection, e.g. on shutdown. */
  closeAll(code = CLOSE_GOING_AWAY, reason = 'Server shutting down'): void {
    for (const socket of [...this.#clients.keys()]) {
      this.#clients.delete(socket)
      closeQuietly(socket, code, reason)
    }
  }

  #drop(socket: Socket, subscription: Subscription, code: number, reason: string): void {
    this.#log('warn', `websocket ${subscription.label} dropped: ${reason}`)
    this.remove(socket)
    closeQuietly(socket, code, reason)
  }
}

function closeQuietly(socket: Socket, code: number, reason: string): void {
  try {
    socket.close(code, reason)
  } catch {
    // The socket is already closed or broken; there is nobody left to tell.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
