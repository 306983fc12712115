import { describe, expect, it } from 'vitest'

import { RelayError } from '../../src/domain/errors.js'
import {
  CreateCommentSchema,
  CreateProjectSchema,
  CreateSubtasksSchema,
  CreateTaskSchema,
  UpdateTaskSchema,
} from '../../src/domain/schemas.js'
import { invalidInput, parseInput } from '../../src/domain/validate.js'

function refusal(run: () => unknown): RelayError {
  try {
    run()
  } catch (error) {
    if (error instanceof RelayError) {
      return error
    }
    throw error
  }
  throw new Error('expected a RelayError')
}

describe('invalidInput', () => {
  it('gives phase refusals the code invalid_phase', () => {
    const error = invalidInput([{ message: 'bad phase', path: [{ key: 'phase' }] }])
    expect(error.code).toBe('invalid_phase')
    expect(error.message).toBe('bad phase')
    expect(error.details).toEqual({ errors: [{ field: 'phase', message: 'bad phase' }] })
  })

  it('gives author_role refusals the code invalid_role', () => {
    expect(invalidInput([{ message: 'x', path: ['author_role'] }]).code).toBe('invalid_role')
  })

  it('gives status refusals the code invalid_status', () => {
    expect(invalidInput([{ message: 'x', path: [{ key: 'status' }] }]).code).toBe('invalid_status')
  })

  it('gives every other field invalid_input, with nested paths joined by dots', () => {
    const error = invalidInput([
      { message: 'first', path: [{ key: 'tasks' }, { key: 0 }, { key: 'title' }] },
      { message: 'second', path: [{ key: 'title' }] },
    ])
    expect(error.code).toBe('invalid_input')
    expect(error.message).toBe('first')
    expect(error.details.errors).toEqual([
      { field: 'tasks.0.title', message: 'first' },
      { field: 'title', message: 'second' },
    ])
  })

  it('decides the code by the top field, so a nested phase still counts as invalid_input', () => {
    const error = invalidInput([{ message: 'm', path: [{ key: 'tasks' }, { key: 'phase' }] }])
    expect(error.code).toBe('invalid_input')
  })

  it('falls back to a generic message when there is no issue', () => {
    const error = invalidInput([])
    expect(error.code).toBe('invalid_input')
    expect(error.message).toBe('Invalid input')
  })
})

describe('parseInput', () => {
  it('returns the typed output and fills in defaults', () => {
    expect(parseInput(CreateProjectSchema, { title: 'T', extra: 1 })).toEqual({
      title: 'T',
      description: '',
    })
  })

  it.each([
    [{}, 'title is required'],
    [{ title: null }, 'title must be a string, got null'],
    [{ title: 3 }, 'title must be a string, got number'],
    [{ title: ['a'] }, 'title must be a string, got a list'],
    [{ title: '' }, 'title must not be empty'],
    [{ title: ' \t\n' }, 'title must not be empty'],
    [{ title: 'x'.repeat(495) }, 'title must be at most 494 characters'],
    [{ title: '\ud800' }, 'title must be valid Unicode (no lone surrogates)'],
    [{ title: 'T', description: null }, 'description must be a string, got null'],
    [null, 'The request body must be a JSON object'],
    [[], 'The request body must be a JSON object'],
  ])('refuses project %j: %s', (input, message) => {
    const error = refusal(() => parseInput(CreateProjectSchema, input))
    expect(error.code).toBe('invalid_input')
    expect(error.message).toBe(message)
  })

  it('refuses an unknown phase with invalid_phase and lists the phases', () => {
    const error = refusal(() => parseInput(CreateTaskSchema, { title: 'T', phase: 'designer' }))
    expect(error.code).toBe('invalid_phase')
    expect(error.message).toBe(
      `phase must be one of ['planner', 'coder', 'reviewer', 'orchestrator'], got "designer"`
    )
  })

  it('says phase is required when it is missing', () => {
    const error = refusal(() => parseInput(CreateTaskSchema, { title: 'T' }))
    expect(error.code).toBe('invalid_phase')
    expect(error.message).toBe(
      "phase is required: one of ['planner', 'coder', 'reviewer', 'orchestrator']"
    )
  })

  it('accepts a null parent_task_id but not an empty one', () => {
    expect(
      parseInput(CreateTaskSchema, { title: 'T', phase: 'coder', parent_task_id: null })
    ).toMatchObject({ parent_task_id: null })
    const error = refusal(() =>
      parseInput(CreateTaskSchema, { title: 'T', phase: 'coder', parent_task_id: ' ' })
    )
    expect(error.message).toBe('parent_task_id must not be empty')
  })

  it('refuses an unknown author_role with invalid_role', () => {
    const error = refusal(() =>
      parseInput(CreateCommentSchema, { content: 'hi', author_role: 'robot' })
    )
    expect(error.code).toBe('invalid_role')
    expect(error.message).toBe(
      `author_role must be one of ['planner', 'coder', 'reviewer', 'orchestrator', 'human'], got "robot"`
    )
  })

  it('refuses an unknown status with invalid_status and lists the statuses', () => {
    const error = refusal(() => parseInput(UpdateTaskSchema, { status: 'archived' }))
    expect(error.code).toBe('invalid_status')
    expect(error.message).toBe(
      `status must be one of ['backlog', 'in_progress', 'in_review', 'done', 'cancelled'], got "archived"`
    )
  })

  it('refuses an update that changes nothing', () => {
    const error = refusal(() => parseInput(UpdateTaskSchema, {}))
    expect(error.code).toBe('invalid_input')
    expect(error.message).toBe('Nothing to update: give at least one of status, title, description')
  })

  it('names the subtask and field that is wrong', () => {
    const error = refusal(() =>
      parseInput(CreateSubtasksSchema, {
        parent_task_id: 'p',
        tasks: [
          { title: 'ok', phase: 'coder' },
          { title: '', phase: 'coder' },
        ],
      })
    )
    expect(error.code).toBe('invalid_input')
    expect(error.details.errors).toEqual([
      { field: 'tasks.1.title', message: 'title must not be empty' },
    ])
  })

  it('says which field of a subtask is missing', () => {
    const error = refusal(() =>
      parseInput(CreateSubtasksSchema, { parent_task_id: 'p', tasks: [{ title: 'no phase' }] })
    )
    expect(error.details.errors).toEqual([
      {
        field: 'tasks.0.phase',
        message: "phase is required: one of ['planner', 'coder', 'reviewer', 'orchestrator']",
      },
    ])
  })

  it('says the content of a comment is required', () => {
    const error = refusal(() => parseInput(CreateCommentSchema, { author_role: 'human' }))
    expect(error.code).toBe('invalid_input')
    expect(error.message).toBe('content is required')
  })

  it('refuses an empty subtask list', () => {
    const error = refusal(() =>
      parseInput(CreateSubtasksSchema, { parent_task_id: 'p', tasks: [] })
    )
    expect(error.message).toBe('tasks must hold at least one task')
  })
})
