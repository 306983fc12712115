import type { Client } from '@libsql/client'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'

import { findTask } from '../db/tasks.js'
import type { Log } from '../domain/log.js'
import { createMcpServer } from '../mcp/server.js'
import { sleep } from './sleep.js'

/** How `serveMcpOverStdio` is configured; the CLI fills it from flags. */
export interface StdioOptions {
  /** An open, migrated database; closed when the server stops. */
  db: Client
  /** What log lines call the database (a path or a URL without credentials). */
  dbDisplay: string
  /** `--task-id`: the agent's own task. */
  taskId?: string | undefined
  /** Must not write to stdout, which carries the protocol. */
  log: Log
  version: string
}

/** The Node timer, for `wait_for_events`. */

/**
 * Serves the board tools over MCP on stdin/stdout until stdin closes (the
 * client is gone) or a SIGINT/SIGTERM arrives; then closes the database and
 * exits with status 0.
 */
export async function serveMcpOverStdio(options: StdioOptions): Promise<void> {
  const { db, log } = options
  const server = createMcpServer({
    db,
    sleep,
    log,
    taskId: options.taskId,
    version: options.version,
  })

  let stopping = false
  const stop = (reason: string) => {
    if (stopping) {
      return
    }
    stopping = true
    log('info', `${reason}, shutting down`)
    // A wait_for_events call may still be sleeping: exit rather than wait
    // for it, since nobody is left to read its answer.
    server.close().then(
      () => {
        db.close()
        process.exit(0)
      },
      (error: unknown) => {
        log('error', `shutdown failed: ${String(error)}`)
        process.exit(1)
      }
    )
  }
  process.stdin.once('end', () => {
    stop('stdin closed')
  })
  process.once('SIGINT', () => {
    stop('SIGINT received')
  })
  process.once('SIGTERM', () => {
    stop('SIGTERM received')
  })

  await server.connect(new StdioServerTransport())
  const own = options.taskId === undefined ? '' : `, task ${options.taskId}`
  log(
    'info',
    `vibe-relay ${options.version} MCP server on stdio (database ${options.dbDisplay}${own})`
  )

  if (options.taskId !== undefined && !(await findTask(db, options.taskId))) {
    log('warn', `--task-id ${options.taskId} names no task; get_my_tasks will need a phase`)
  }
}
