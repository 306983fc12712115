#!/usr/bin/env node
import { cac } from 'cac'

import { RelayError } from '../domain/errors.js'
import type { Log } from '../domain/log.js'
import { openDatabase, resolveDatabase } from './database.js'

// Each command imports its own entry when it runs, so that `serve` does not
// pay for loading the MCP SDK at start-up, nor `--help` for either.

declare const __VERSION__: string

const log: Log = (level, message) => {
  const prefix = level === 'info' ? '' : `${level}: `
  process.stderr.write(`${prefix}${message}\n`)
}

interface ServeFlags {
  port: string | number
  host: string
  db?: string | number
  pollInterval: string | number
  retentionHours: string | number
  reload?: boolean
}

// cac reads an empty value (`--port ""`) as 0 and an all-digit one as a
// number, so emptiness is checked on the raw arguments.
function refuseEmptyValues(flags: readonly string[]): void {
  const argv = process.argv.slice(2)
  argv.forEach((arg, index) => {
    for (const flag of flags) {
      const next = argv[index + 1]
      const isEmpty =
        arg === `--${flag}=` || (arg === `--${flag}` && (next === undefined || next.trim() === ''))
      if (isEmpty || (arg.startsWith(`--${flag}=`) && arg.slice(flag.length + 3).trim() === '')) {
        throw new RelayError('invalid_input', `--${flag} needs a value`)
      }
    }
  })
}

function optionalText(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value)
}

// Both commands find the database the same way: --db, VIBE_RELAY_DB, the
// config file in the working directory, the default.
function locateDatabase(flag: string | number | undefined) {
  return resolveDatabase({ flag: optionalText(flag), env: process.env, cwd: process.cwd() })
}

function parseInteger(flag: string, value: string | number, min: number, max: number): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new RelayError(
      'invalid_input',
      `--${flag} must be a whole number from ${String(min)} to ${String(max)}, got '${String(value)}'`
    )
  }
  return number
}

// The token is never logged; an empty value counts as unset.
function readToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.VIBE_RELAY_TOKEN?.trim()
  return token === undefined || token === '' ? undefined : token
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

async function serveCommand(flags: ServeFlags): Promise<void> {
  refuseEmptyValues(['port', 'host', 'db', 'poll-interval', 'retention-hours'])
  const port = parseInteger('port', flags.port, 0, 65535)
  const pollIntervalMs = parseInteger('poll-interval', flags.pollInterval, 10, 60_000)
  const retentionHours = parseInteger('retention-hours', flags.retentionHours, 1, 24 * 365)
  if (flags.reload) {
    const { superviseWithReload } = await import('./reload.js')
    superviseWithReload(
      process.argv.slice(2).filter((arg) => arg !== '--reload'),
      log
    )
    return
  }

  const token = readToken(process.env)
  const location = locateDatabase(flags.db)
  const { startServer } = await import('./node.js')
  const db = await openDatabase(location)
  const server = await startServer({
    db,
    dbDisplay: location.display,
    host: flags.host,
    port,
    pollIntervalMs,
    localPath: location.isLocal ? location.display : undefined,
    retentionMs: retentionHours * 3600_000,
    token,
    log,
    version: __VERSION__,
  })

  // Catch signals before the start-up line goes out: whoever reads it (a
  // supervisor, a test) may signal at once, and an unhandled SIGTERM would
  // kill the process without closing sockets and the database.
  const shutdown = (signal: NodeJS.Signals) => {
    log('info', `${signal} received, shutting down`)
    // Whatever happens, the process is gone within a second.
    setTimeout(() => process.exit(1), 1000).unref()
    server.close().then(
      () => {
        log('info', 'websockets closed, event polling stopped, database closed')
        process.exit(0)
      },
      (error: unknown) => {
        log('error', `shutdown failed: ${String(error)}`)
        process.exit(1)
      }
    )
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)

  log(
    'info',
    `vibe-relay ${__VERSION__} serving on ${server.url} ` +
      `(database ${location.display}, polling events every ${String(pollIntervalMs)} ms, ` +
      `${token === undefined ? 'no auth' : 'bearer token required'})`
  )
  if (token === undefined && !isLoopback(flags.host)) {
    log(
      'warn',
      `serving on ${flags.host} without a token: anyone who can reach this address can read ` +
        'and change the board. Set VIBE_RELAY_TOKEN to require one, or bind 127.0.0.1'
    )
  }
}

const cli = cac('vibe-relay')

cli
  .command(
    'serve',
    'Serve the board: REST API, /ws websocket, /docs. With $VIBE_RELAY_TOKEN set, every ' +
      'request needs Authorization: Bearer <token>'
  )
  .option('--port <port>', 'Port to listen on (0 picks a free one)', { default: 8000 })
  .option('--host <host>', 'Address to bind', { default: '127.0.0.1' })
  .option(
    '--db <path-or-url>',
    'Database file or libSQL URL (else $VIBE_RELAY_DB, config, ~/.vibe-relay/vibe-relay.db)'
  )
  .option('--poll-interval <ms>', 'How often to poll the event log, in ms', { default: 500 })
  .option('--retention-hours <hours>', 'How long delivered events are kept for resuming clients', {
    default: 168,
  })
  .option('--reload', 'Restart when the source files change (development)')
  .action(serveCommand)

interface McpFlags {
  db?: string | number
  taskId?: string | number
}

async function mcpCommand(flags: McpFlags): Promise<void> {
  refuseEmptyValues(['task-id', 'db'])
  const taskId = optionalText(flags.taskId)
  const location = locateDatabase(flags.db)
  const { serveMcpOverStdio } = await import('./mcp-stdio.js')
  const db = await openDatabase(location)
  await serveMcpOverStdio({ db, dbDisplay: location.display, taskId, log, version: __VERSION__ })
}

cli
  .command('mcp', "Serve the board's tools to an agent over MCP on stdin/stdout")
  .option('--task-id <id>', "The agent's own task: get_my_tasks defaults to its phase")
  .option(
    '--db <path-or-url>',
    'Database file or libSQL URL (else $VIBE_RELAY_DB, config, ~/.vibe-relay/vibe-relay.db)'
  )
  .action(mcpCommand)

cli.help()
cli.version(__VERSION__)

async function main(): Promise<void> {
  cli.parse(process.argv, { run: false })
  if (!cli.matchedCommand) {
    if (cli.args.length > 0) {
      throw new RelayError(
        'invalid_input',
        `Unknown command '${String(cli.args[0])}'; see vibe-relay --help`
      )
    }
    if (!cli.options.help && !cli.options.version) {
      cli.outputHelp()
    }
    return
  }
  await cli.runMatchedCommand()
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`vibe-relay: ${message}\n`)
  process.exit(2)
})
