/** Task statuses, in board column order. */
export const TASK_STATUSES = ['backlog', 'in_progress', 'in_review', 'done', 'cancelled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** The agent role a task is meant for. */
export const PHASES = ['planner', 'coder', 'reviewer', 'orchestrator'] as const
export type Phase = (typeof PHASES)[number]

/** Who can write a comment: any agent role, or the human. */
export const AUTHOR_ROLES = [...PHASES, 'human'] as const
export type AuthorRole = (typeof AUTHOR_ROLES)[number]

/** Project statuses. The Python version writes `cancelled` too. */
export const PROJECT_STATUSES = ['active', 'cancelled'] as const
export type ProjectStatus = (typeof PROJECT_STATUSES)[number]

/** Formats a list the way the spec's messages do: `['a', 'b']`. */
export function formatList(values: readonly string[]): string {
  return `[${values.map((value) => `'${value}'`).join(', ')}]`
}
