import * as v from 'valibot'

import { RelayError, type RelayErrorCode } from './errors.js'

/** One problem found in an input, in the shape both valibot and Standard Schema use. */
export interface InputIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: unknown }> | undefined
}

// Fields whose refusal has its own code: the MCP tools of the Python version
// return these, and agents' prompts react to them.
const CODE_BY_FIELD: Readonly<Record<string, RelayErrorCode>> = {
  phase: 'invalid_phase',
  author_role: 'invalid_role',
  status: 'invalid_status',
}

function pathOf(issue: InputIssue): string {
  return (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map(String)
    .join('.')
}

/**
 * Turns validation issues into one `RelayError`. The first issue decides the
 * message and code; every issue is listed under `details.errors`.
 */
export function invalidInput(issues: readonly InputIssue[]): RelayError {
  const errors = issues.map((issue) => ({ field: pathOf(issue), message: issue.message }))
  const first = errors[0] ?? { field: '', message: 'Invalid input' }
  const field = first.field.split('.')[0] ?? ''
  const code = CODE_BY_FIELD[field] ?? 'invalid_input'
  return new RelayError(code, first.message, { details: { errors } })
}

/**
 * Validates `input` against `schema` and returns the typed output.
 *
 * @throws {RelayError} `invalid_input` (or `invalid_phase`, `invalid_role`,
 *   `invalid_status` for those fields) naming the first bad field.
 */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (!result.success) {
    throw invalidInput(result.issues)
  }
  return result.output
}
