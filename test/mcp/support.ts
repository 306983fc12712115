// Helpers for the MCP tests: the built CLI as child processes (`vibe-relay
// mcp` behind the SDK's stdio client, `vibe-relay serve` on a free port), and
// tool calls whose JSON text is parsed.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

/** The built CLI; `npx tsup` makes it. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export function assertBuilt(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: build with \`npx tsup --silent\` first`)
  }
}

/** A tool call's outcome: `isError` and the parsed JSON of its text. */
export interface ToolOutcome<T = any> {
  isError: boolean
  body: T
}

/** An MCP client with a shortcut for tool calls. */
export interface McpSession {
  client: Client
  /** What the server wrote to stderr so far (stdio sessions only). */
  stderr: () => string
  call<T = any>(name: string, args?: Record<string, unknown>): Promise<ToolOutcome<T>>
  close(): Promise<void>
}

function session(client: Client, stderr: () => string): McpSession {
  return {
    client,
    stderr,
    call: async (name, args = {}) => {
      const result = await client.callTool({ name, arguments: args })
      const content = result.content as { type: string; text: string }[]
      if (content.length !== 1 || content[0]?.type !== 'text') {
        throw new Error(`${name}: expected one text item, got ${JSON.stringify(content)}`)
      }
      return { isError: result.isError === true, body: JSON.parse(content[0].text) }
    },
    close: () => client.close(),
  }
}

/**
 * Spawns `node dist/cli.js mcp <args>` behind the SDK's stdio client. The
 * child gets only `env` beyond the SDK's safe defaults, and runs in `cwd`.
 */
export async function startStdioSession(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {}
): Promise<McpSession> {
  assertBuilt()
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', ...args],
    env: options.env ?? {},
    cwd: options.cwd,
    stderr: 'pipe',
  })
  let stderr = ''
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const client = new Client({ name: 'vibe-relay-test', version: '0' })
  await client.connect(transport)
  return session(client, () => stderr)
}

/** Connects the SDK's Streamable HTTP client to `url` (a `/mcp` endpoint). */
export async function startHttpSession(url: string, fetchImpl?: typeof fetch): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: fetchImpl })
  const client = new Client({ name: 'vibe-relay-test', version: '0' })
  await client.connect(transport)
  return session(client, () => '')
}

/** Fields that differ between two otherwise identical runs: ids and timestamps. */
const VOLATILE = /(^id$|_id$|_at$|^seq$|^next_since$)/

/** `value` with every id, timestamp and position replaced by a placeholder, for comparing runs. */
export function stripVolatile(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(stripVolatile)
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [
        key,
        VOLATILE.test(key) && field !== null ? '<volatile>' : stripVolatile(field),
      ])
    )
  }
  if (typeof value === 'string') {
    // Ids quoted inside messages ("Task '…' not found").
    return value.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
  }
  return value
}
