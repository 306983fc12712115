import { describe, expect, it } from 'vitest'

import { RelayError } from '../../src/domain/errors.js'
import {
  assertTransition,
  checkTransition,
  isTaskStatus,
  isTerminal,
  validNextStates,
} from '../../src/domain/task-status.js'
import { TASK_STATUSES, type TaskStatus } from '../../src/domain/vocabulary.js'

// The state machine of CONTEXT.md, written out once more by hand.
const ALLOWED: readonly [TaskStatus, TaskStatus][] = [
  ['backlog', 'in_progress'],
  ['backlog', 'cancelled'],
  ['in_progress', 'in_review'],
  ['in_progress', 'cancelled'],
  ['in_review', 'in_progress'],
  ['in_review', 'done'],
  ['in_review', 'cancelled'],
]

// One forbidden move from each status, with the spec's exact message.
const FORBIDDEN: readonly [TaskStatus, TaskStatus, string][] = [
  [
    'backlog',
    'in_review',
    "Invalid transition: cannot move task from 'backlog' to 'in_review'. " +
      "Valid next states: ['in_progress', 'cancelled']",
  ],
  [
    'in_progress',
    'done',
    "Invalid transition: cannot move task from 'in_progress' to 'done'. " +
      "Valid next states: ['in_review', 'cancelled']",
  ],
  [
    'in_review',
    'backlog',
    "Invalid transition: cannot move task from 'in_review' to 'backlog'. " +
      "Valid next states: ['in_progress', 'done', 'cancelled']",
  ],
  [
    'done',
    'in_progress',
    "Invalid transition: cannot move task from 'done' to 'in_progress'. Valid next states: []",
  ],
  [
    'cancelled',
    'backlog',
    "Invalid transition: cannot move task from 'cancelled' to 'backlog'. Valid next states: []",
  ],
]

describe('checkTransition', () => {
  it.each(ALLOWED)('allows %s → %s', (from, to) => {
    expect(checkTransition(from, to)).toEqual({ ok: true })
  })

  it.each(FORBIDDEN)('refuses %s → %s with the spec message', (from, to, message) => {
    expect(checkTransition(from, to)).toEqual({
      ok: false,
      message,
      valid_next_states: validNextStates(from),
    })
  })

  it('refuses every move the table does not list, staying in place included', () => {
    const allowed = new Set(ALLOWED.map(([from, to]) => `${from}>${to}`))
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) {
        expect(checkTransition(from, to).ok, `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`))
      }
    }
  })
})

describe('validNextStates', () => {
  it('lists the targets of each status in the order of the spec', () => {
    expect(Object.fromEntries(TASK_STATUSES.map((s) => [s, validNextStates(s)]))).toEqual({
      backlog: ['in_progress', 'cancelled'],
      in_progress: ['in_review', 'cancelled'],
      in_review: ['in_progress', 'done', 'cancelled'],
      done: [],
      cancelled: [],
    })
  })
})

describe('isTerminal', () => {
  it('is true only for done and cancelled', () => {
    expect(TASK_STATUSES.filter((status) => isTerminal(status))).toEqual(['done', 'cancelled'])
  })
})

describe('isTaskStatus', () => {
  it('accepts the five statuses and nothing else', () => {
    for (const status of TASK_STATUSES) {
      expect(isTaskStatus(status)).toBe(true)
    }
    for (const other of ['archived', 'BACKLOG', '', null, undefined, 3]) {
      expect(isTaskStatus(other)).toBe(false)
    }
  })
})

describe('assertTransition', () => {
  it('returns quietly for an allowed move', () => {
    expect(() => {
      assertTransition('in_review', 'done')
    }).not.toThrow()
  })

  it('throws invalid_transition with the current status and the valid next states', () => {
    let caught: unknown
    try {
      assertTransition('backlog', 'in_review')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(RelayError)
    const error = caught as RelayError
    expect(error.name).toBe('RelayError')
    expect(error.code).toBe('invalid_transition')
    expect(error.message).toBe(FORBIDDEN[0]?.[2])
    expect(error.details).toEqual({
      current_status: 'backlog',
      valid_next_states: ['in_progress', 'cancelled'],
    })
  })
})
