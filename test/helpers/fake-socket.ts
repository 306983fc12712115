import type { BoardEvent } from '../../src/domain/events.js'
import type { Socket } from '../../src/realtime/hub.js'

/** A board event as tests read it, with the payload's fields looked at loosely. */
export interface ReceivedEvent {
  type: string
  seq: number
  project_id: string | null
  payload: Record<string, unknown>
}

/** A socket that keeps what it is sent, for hub and relay tests. */
export class FakeSocket implements Socket {
  readonly messages: string[] = []
  closed: { code: number | undefined; reason: string | undefined } | null = null
  bufferedAmount = 0
  /** When set, `send` throws it. */
  failure: Error | null = null

  send(data: string): void {
    if (this.failure) {
      throw this.failure
    }
    this.messages.push(data)
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason }
  }

  get events(): ReceivedEvent[] {
    return this.messages.map((message) => JSON.parse(message) as ReceivedEvent)
  }
}

/** A board event for hub tests. */
export function boardEvent(seq: number, projectId: string | null = 'p1'): BoardEvent {
  return { type: 'task_updated', seq, project_id: projectId, payload: { id: `t${String(seq)}` } }
}
