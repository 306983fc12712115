import type { Task, TaskBoard } from './schemas.js'

/**
 * Groups tasks into board columns, one per status (all five present), keeping
 * their order within a column.
 */
export function groupByStatus(tasks: readonly Task[]): TaskBoard {
  const board: TaskBoard = { backlog: [], in_progress: [], in_review: [], done: [], cancelled: [] }
  for (const task of tasks) {
    // A status outside the vocabulary (a foreign writer's) has no column.
    ;(board[task.status] as Task[] | undefined)?.push(task)
  }
  return board
}
