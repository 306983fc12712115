import { RelayError } from './errors.js'
import { TASK_STATUSES, formatList, type TaskStatus } from './vocabulary.js'

const NEXT_STATES: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  backlog: ['in_progress', 'cancelled'],
  in_progress: ['in_review', 'cancelled'],
  in_review: ['in_progress', 'done', 'cancelled'],
  done: [],
  cancelled: [],
}

/** The outcome of {@link checkTransition}: allowed, or refused with the spec's message. */
export type TransitionCheck =
  { ok: true } | { ok: false; message: string; valid_next_states: readonly TaskStatus[] }

/** Whether `value` is one of the five task statuses. */
export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value)
}

/** The statuses a task in `status` may move to; empty for terminal statuses. */
export function validNextStates(status: TaskStatus): readonly TaskStatus[] {
  return NEXT_STATES[status]
}

/** Whether no move leaves `status` (`done` and `cancelled`). */
export function isTerminal(status: TaskStatus): boolean {
  return NEXT_STATES[status].length === 0
}

/**
 * Checks one move of the state machine. A refusal carries the exact message
 * of the spec, e.g. `Invalid transition: cannot move task from 'backlog' to
 * 'in_review'. Valid next states: ['in_progress', 'cancelled']`.
 */
export function checkTransition(from: TaskStatus, to: TaskStatus): TransitionCheck {
  const next = NEXT_STATES[from]
  if (next.includes(to)) {
    return { ok: true }
  }
  return {
    ok: false,
    valid_next_states: next,
    message:
      `Invalid transition: cannot move task from '${from}' to '${to}'. ` +
      `Valid next states: ${formatList(next)}`,
  }
}

/**
 * Throws unless `from → to` is a legal move.
 *
 * @throws {RelayError} `invalid_transition` with the spec's message, and
 *   `current_status` and `valid_next_states` in its details.
 */
export function assertTransition(from: TaskStatus, to: TaskStatus): void {
  const check = checkTransition(from, to)
  if (!check.ok) {
    throw new RelayError('invalid_transition', check.message, {
      details: { current_status: from, valid_next_states: check.valid_next_states },
    })
  }
}
