/**
 * Why a board operation was refused. The HTTP layer maps codes to statuses
 * (`src/http/errors.ts`); the MCP layer returns them as tool errors.
 */
export type RelayErrorCode =
  | 'not_found'
  | 'invalid_input'
  | 'invalid_transition'
  | 'invalid_status'
  | 'invalid_phase'
  | 'invalid_role'
  | 'conflict'
  | 'precondition_failed'
  | 'unauthorized'
  | 'too_large'
  | 'unsupported_media_type'
  | 'internal'

/**
 * The one error class of vibe-relay. `message` is meant for the caller (a
 * person or a model): it names the bad value and what would be accepted.
 * `details` holds extra fields that programs read, such as
 * `valid_next_states`; they are added beside `detail` in HTTP error bodies.
 */
export class RelayError extends Error {
  readonly code: RelayErrorCode
  readonly details: Record<string, unknown>

  constructor(
    code: RelayErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {}
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RelayError'
    this.code = code
    this.details = options.details ?? {}
  }
}

/** Builds the `not_found` error for a missing row, e.g. `Task 'abc' not found`. */
export function notFound(kind: 'Project' | 'Task' | 'Comment', id: string): RelayError {
  return new RelayError('not_found', `${kind} '${id}' not found`)
}
