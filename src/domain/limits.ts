/** Largest request body the HTTP API reads, in bytes (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024

/** Longest task title, in characters (UTF-16 code units). */
export const MAX_TITLE_LENGTH = 500

/** The title of a project's root task is this prefix and the project's title. */
export const ROOT_TASK_PREFIX = 'Plan: '

/**
 * Longest project title: short enough that its root task's title, with the
 * prefix, is still one a client may send back in a PATCH.
 */
export const MAX_PROJECT_TITLE_LENGTH = MAX_TITLE_LENGTH - ROOT_TASK_PREFIX.length

/** Longest project or task description and comment content, in characters. */
export const MAX_TEXT_LENGTH = 100_000

/** Most subtasks one `create_subtasks` call may create. */
export const MAX_SUBTASKS = 100
