import type { Hono, MiddlewareHandler } from 'hono'
import { describeRoute, openAPIRouteHandler, resolver, validator } from 'hono-openapi'
import type { GenericSchema } from 'valibot'

import { ErrorSchema } from '../domain/schemas.js'
import { invalidInput } from '../domain/validate.js'

const ERROR_DESCRIPTIONS: Record<number, string> = {
  401: 'Token missing or wrong (only when the server runs with VIBE_RELAY_TOKEN)',
  400: 'Malformed JSON',
  404: 'No such project or task',
  409: 'The project is cancelled',
  412: 'If-Match does not match the current ETag',
  413: 'Body over 1 MiB',
  415: 'Body is not JSON',
  422: 'Invalid input or refused transition',
}

function jsonContent(schema: GenericSchema) {
  return { 'application/json': { schema: resolver(schema) } }
}

/**
 * Documents a route in `/openapi.json`: its summary, its success response
 * (described by the same valibot schema the types come from) and the error
 * statuses it can answer with, all in the `{ "detail": … }` envelope.
 */
export function describe(
  tag: string,
  summary: string,
  success: { status: number; schema: GenericSchema; description: string },
  errors: readonly number[],
  requestHeaders: readonly (keyof typeof HEADER_DESCRIPTIONS)[] = []
): MiddlewareHandler {
  const responses: Record<
    string,
    { description: string; content: ReturnType<typeof jsonContent> }
  > = {
    [success.status]: { description: success.description, content: jsonContent(success.schema) },
  }
  for (const status of [401, ...errors]) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: jsonContent(ErrorSchema),
    }
  }
  const parameters = requestHeaders.map((name) => ({
    in: 'header' as const,
    name,
    required: false,
    description: HEADER_DESCRIPTIONS[name],
    schema: { type: 'string' as const },
  }))
  return describeRoute({ tags: [tag], summary, responses, parameters })
}

const HEADER_DESCRIPTIONS = {
  'Idempotency-Key':
    'Makes a retry safe: a second request with the same key and body within 24 h gets the ' +
    'first answer again instead of creating another object.',
  'If-Match':
    'The ETag of the task as last read: the update is refused with 412 if the task changed since.',
} as const

/**
 * Validates the JSON body with a valibot schema (also documented as the
 * request body), refusing it with one `invalid_input` error that names the
 * first bad field.
 */
export function jsonBody<S extends GenericSchema>(schema: S) {
  return validator('json', schema, (result) => {
    if (!result.success) {
      throw invalidInput(result.error)
    }
  })
}

/** The handler of `GET /openapi.json`, generated from the app's routes. */
export function openApiDocument(app: Hono, version: string): MiddlewareHandler {
  return openAPIRouteHandler(app, {
    documentation: {
      info: {
        title: 'vibe-relay',
        version,
        description:
          'Kanban board for teams of AI coding agents. Board events are pushed on the ' +
          'websocket `GET /ws` as `{ "type", "seq", "project_id", "payload" }`.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Required only when the server runs with VIBE_RELAY_TOKEN',
          },
        },
      },
      security: [{ bearer: [] }, {}],
    },
  })
}
