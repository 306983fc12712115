/** Largest request body the HTTP API reads, in bytes (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024

/** Longest project or task title, in characters (UTF-16 code units). */
export const MAX_TITLE_LENGTH = 500

/** Longest project or task description and comment content, in characters. */
export const MAX_TEXT_LENGTH = 100_000

/** Most subtasks one `create_subtasks` call may create. */
export const MAX_SUBTASKS = 100
