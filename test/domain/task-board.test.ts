import { describe, expect, it } from 'vitest'

import type { Task } from '../../src/domain/schemas.js'
import { groupByStatus } from '../../src/domain/task-board.js'

function task(id: string, status: string): Task {
  return {
    id,
    project_id: 'p',
    parent_task_id: null,
    title: id,
    description: null,
    phase: 'coder',
    status: status as Task['status'],
    branch: null,
    worktree_path: null,
    session_id: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  }
}

describe('groupByStatus', () => {
  it('has all five columns, empty ones included, for no tasks', () => {
    expect(groupByStatus([])).toEqual({
      backlog: [],
      in_progress: [],
      in_review: [],
      done: [],
      cancelled: [],
    })
  })

  it('puts each task in its column and keeps their order within a column', () => {
    const tasks = [
      task('a', 'done'),
      task('b', 'backlog'),
      task('c', 'in_review'),
      task('d', 'backlog'),
      task('e', 'cancelled'),
      task('f', 'in_progress'),
    ]
    const board = groupByStatus(tasks)
    expect(Object.keys(board)).toEqual(['backlog', 'in_progress', 'in_review', 'done', 'cancelled'])
    expect(board.backlog.map((t) => t.id)).toEqual(['b', 'd'])
    expect(board.in_progress.map((t) => t.id)).toEqual(['f'])
    expect(board.in_review.map((t) => t.id)).toEqual(['c'])
    expect(board.done.map((t) => t.id)).toEqual(['a'])
    expect(board.cancelled.map((t) => t.id)).toEqual(['e'])
  })

  it('leaves out a task whose status a foreign writer made up', () => {
    const board = groupByStatus([task('a', 'blocked'), task('b', 'backlog')])
    expect(
      Object.values(board)
        .flat()
        .map((t) => t.id)
    ).toEqual(['b'])
    expect(board).not.toHaveProperty('blocked')
  })
})
