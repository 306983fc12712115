import type { Client } from '@libsql/client'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool as ListedTool,
} from '@modelcontextprotocol/sdk/types.js'
import { toJsonSchema } from '@valibot/to-json-schema'

import { RelayError } from '../domain/errors.js'
import { type Log, silentLog } from '../domain/log.js'
import { type Tool, type ToolContext, boardTools } from './tools.js'
import type { Sleep } from './wait-for-events.js'

/** What `createMcpServer` needs; the entry hands in everything runtime-specific. */
export interface McpServerOptions {
  /** The board database, already migrated. */
  db: Client
  /** The runtime's timer, for `wait_for_events`. */
  sleep: Sleep
  /** The agent's own task (`--task-id`): `get_my_tasks` defaults to its phase. */
  taskId?: string | undefined
  /** One line per tool call, and unexpected errors. Default: none. */
  log?: Log
  /** Version reported to clients. */
  version?: string
}

const INSTRUCTIONS =
  'vibe-relay is the kanban board your agent team shares. A project holds tasks; each task ' +
  'has a phase (planner, coder, reviewer, orchestrator: the role that works on it) and a ' +
  'status (backlog → in_progress → in_review → done, or cancelled). Find your work with ' +
  'get_my_tasks, read it with get_task, report with add_comment, move it with ' +
  'update_task_status and finish it with complete_task. A refused call returns an error ' +
  'whose "error" names the reason (not_found, invalid_transition, invalid_input, ...) and ' +
  'whose "message" says what would be accepted.'

// The JSON Schema of every tool, made once per tool set: HTTP builds a server
// per request.
const toolSets = new Map<boolean, { tools: Map<string, Tool>; listed: ListedTool[] }>()

function toolSet(hasOwnTask: boolean) {
  let set = toolSets.get(hasOwnTask)
  if (!set) {
    const tools = boardTools({ hasOwnTask })
    set = {
      tools: new Map(tools.map((tool) => [tool.name, tool])),
      listed: tools.map((tool) => ({
        name: tool.name,
        description: tool.description,
        inputSchema: inputSchemaOf(tool),
        annotations: tool.annotations,
      })),
    }
    toolSets.set(hasOwnTask, set)
  }
  return set
}

function inputSchemaOf(tool: Tool): ListedTool['inputSchema'] {
  // `check` steps (non-empty text, well-formed Unicode) have no JSON Schema
  // form; the arguments are validated with the valibot schema anyway.
  const { $schema: _dialect, ...schema } = toJsonSchema(tool.schema, { errorMode: 'ignore' })
  return { ...schema, type: 'object' } as ListedTool['inputSchema']
}

/**
 * Builds an MCP server with the board tools over `db`, not yet connected to
 * a transport. Each result is JSON text; a refusal is a tool error whose
 * JSON text holds `error` (the reason code), `message` (the message the HTTP
 * API gives) and any details, such as `valid_next_states`.
 */
export function createMcpServer(options: McpServerOptions) {
  const log = options.log ?? silentLog
  const { tools, listed } = toolSet(options.taskId !== undefined)

  // McpServer, which the SDK recommends, takes only zod schemas; our tools
  // carry JSON Schema made from valibot, which the low-level Server takes as is.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- see above
  const server = new Server(
    { name: 'vibe-relay', version: options.version ?? '0.0.0' },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS }
  )

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools.get(request.params.name)
    if (!tool) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool '${request.params.name}'; the tools are ${[...tools.keys()].join(', ')}`
      )
    }
    const context: ToolContext = {
      db: options.db,
      taskId: options.taskId,
      sleep: options.sleep,
      signal: extra.signal,
    }
    return callTool(tool, context, request.params.arguments ?? {}, log)
  })
  return server
}

async function callTool(
  tool: Tool,
  context: ToolContext,
  args: unknown,
  log: Log
): Promise<CallToolResult> {
  const started = performance.now()
  const elapsed = () => `${(performance.now() - started).toFixed(1)}ms`
  try {
    const result = await tool.call(context, args)
    log('info', `tool ${tool.name} ok ${elapsed()}`)
    return { content: [{ type: 'text', text: JSON.stringify(result) }] }
  } catch (error) {
    if (error instanceof RelayError && error.code !== 'internal') {
      log('info', `tool ${tool.name} refused: ${error.code} ${elapsed()}`)
      return errorResult({ error: error.code, message: error.message, ...error.details })
    }
    const reason = error instanceof Error ? (error.stack ?? error.message) : String(error)
    log('error', `tool ${tool.name} failed: ${reason}`)
    return errorResult({
      error: 'internal',
      message: `${tool.name} failed on the server's side; its log has the details`,
    })
  }
}

function errorResult(body: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] }
}
