import type { Comment, Project, Task } from './schemas.js'

/** The event types of the `events` table, written by this server and by the Python version. */
export const EVENT_TYPES = [
  'project_created',
  'project_updated',
  'task_created',
  'task_updated',
  'comment_added',
  'subtasks_created',
  'orchestrator_trigger',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

interface EventEnvelope<T extends string, P> {
  type: T
  /** The event's position in the log: increases in commit order. */
  seq: number
  /** The project the event belongs to, for filtering; `null` when unknown. */
  project_id: string | null
  /** The full current object, not just its id. */
  payload: P
}

/** A board event as websocket clients receive it. */
export type BoardEvent =
  | EventEnvelope<'project_created' | 'project_updated', Project>
  | EventEnvelope<'task_created' | 'task_updated', Task>
  | EventEnvelope<'comment_added', Comment>
  | EventEnvelope<'subtasks_created', { parent_task_id: string; tasks: Task[] }>
  | EventEnvelope<'orchestrator_trigger', { parent_task_id: string | null; project_id: string }>
  // A row of a type this version does not know is passed on as it was written.
  | EventEnvelope<string & {}, unknown>
