import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'

import type { McpServerOptions } from './server.js'

/**
 * `POST /mcp`: the board tools over MCP's Streamable HTTP transport, in
 * stateless mode (no session: any request may reach any instance), built on
 * web-standard `Request`/`Response` only, so every runtime can serve it.
 * Answers are plain JSON, not event streams: the response ends when the tool
 * has finished, so middleware that runs after a write (the event relay's
 * notification) sees it committed. `GET` and `DELETE`, which only serve
 * sessions, are left to the app's 405.
 */
export function mcpRoutes(options: Omit<McpServerOptions, 'taskId'>) {
  return new Hono().post(
    '/mcp',
    describeRoute({
      tags: ['mcp'],
      summary: 'MCP Streamable HTTP endpoint: the agents’ board tools (JSON-RPC)',
      description:
        'Point an MCP client at this URL. Send JSON-RPC with ' +
        '`Accept: application/json, text/event-stream`; stateless, no session id.',
      responses: {
        200: { description: 'The JSON-RPC response, as `application/json`' },
        202: { description: 'A notification, accepted' },
      },
    }),
    async (c) => {
      // The MCP SDK is loaded on the first request, not at start-up: it takes
      // longer to import than the rest of the server.
      const [{ createMcpServer }, { WebStandardStreamableHTTPServerTransport }] = await Promise.all(
        [
          import('./server.js'),
          import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
        ]
      )
      // A stateless transport serves one request only: build both per request.
      const server = createMcpServer(options)
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      })
      await server.connect(transport)
      try {
        return await transport.handleRequest(c.req.raw)
      } finally {
        await server.close()
      }
    }
  )
}
