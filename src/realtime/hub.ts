import type { BoardEvent } from '../domain/events.js'
import { type Log, silentLog } from '../domain/log.js'

/** The part of a websocket the hub uses; each runtime adapts its own socket to it. */
export interface Socket {
  /** Sends one message; `event` is the message before serialization, for transports that need its fields. */
  send(data: string, event: BoardEvent): void
  close(code?: number, reason?: string): void
  /** Bytes queued but not yet sent, where the runtime tells; used to drop stuck clients. */
  readonly bufferedAmount?: number
}

/** What a client asked to receive. */
export interface Subscription {
  /** Only this project's events; `null` for every event. */
  project_id: string | null
  /** How the connection is named in log lines, e.g. `websocket 127.0.0.1`. */
  label: string
}

interface Client {
  subscription: Subscription
  /** The position of the last event sent, or the client's starting point: older events are skipped. */
  lastSeq: number
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
  readonly #clients = new Map<Socket, Client>()
  readonly #log: Log
  readonly #maxBufferedBytes: number

  constructor(options: { log?: Log; maxBufferedBytes?: number | undefined } = {}) {
    this.#log = options.log ?? silentLog
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024
  }

  /** How many connections are open. */
  get size(): number {
    return this.#clients.size
  }

  /**
   * Starts sending events to `socket`: those after position `after` (default
   * 0), as they are broadcast or sent to it alone with `send`.
   */
  add(socket: Socket, subscription: Subscription, after = 0): void {
    this.#clients.set(socket, { subscription, lastSeq: after })
    this.#log('info', `${subscription.label} connected (${String(this.size)} open)`)
  }

  /** Whether `socket` is still connected to the hub. */
  has(socket: Socket): boolean {
    return this.#clients.has(socket)
  }

  /** Stops sending to `socket`; harmless for a socket that was already removed. */
  remove(socket: Socket): void {
    const client = this.#clients.get(socket)
    if (client && this.#clients.delete(socket)) {
      this.#log('info', `${client.subscription.label} disconnected (${String(this.size)} open)`)
    }
  }

  /** Sends one event to every connection subscribed to it; returns how many got it. */
  broadcast(event: BoardEvent): number {
    const message = JSON.stringify(event)
    let delivered = 0
    for (const socket of this.#clients.keys()) {
      if (this.#deliver(socket, event, message)) {
        delivered++
      }
    }
    return delivered
  }

  /**
   * Sends one event to one connection (a resuming client's backlog), with
   * the same filter, ordering and slow-client rules as `broadcast`.
   */
  send(socket: Socket, event: BoardEvent): boolean {
    return this.#deliver(socket, event, JSON.stringify(event))
  }

  /** Sends a message about the stream itself to one connection, past its filter. */
  notice(socket: Socket, event: BoardEvent): boolean {
    return this.#deliver(socket, event, JSON.stringify(event), true)
  }

  #deliver(socket: Socket, event: BoardEvent, message: string, isNotice = false): boolean {
    const client = this.#clients.get(socket)
    if (!client || (!isNotice && event.seq <= client.lastSeq)) {
      return false
    }
    const { project_id } = client.subscription
    if (!isNotice && project_id !== null && project_id !== event.project_id) {
      client.lastSeq = event.seq
      return false
    }
    if ((socket.bufferedAmount ?? 0) > this.#maxBufferedBytes) {
      this.#drop(socket, client, CLOSE_TOO_SLOW, 'Client too slow: send queue full')
      return false
    }
    try {
      socket.send(message, event)
      client.lastSeq = event.seq
      return true
    } catch (error) {
      this.#drop(socket, client, 1011, `Send failed: ${describe(error)}`)
      return false
    }
  }

  /** Closes every connection, e.g. on shutdown. */
  closeAll(code = CLOSE_GOING_AWAY, reason = 'Server shutting down'): void {
    for (const socket of [...this.#clients.keys()]) {
      this.#clients.delete(socket)
      closeQuietly(socket, code, reason)
    }
  }

  #drop(socket: Socket, client: Client, code: number, reason: string): void {
    this.#log('warn', `${client.subscription.label} dropped: ${reason}`)
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
