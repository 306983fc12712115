import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { type Client, createClient } from '@libsql/client'

import { migrateDatabase } from '../db/schema.js'
import { RelayError } from '../domain/errors.js'

/** The config file of the Python version; only its `db_path` key is read. */
export const CONFIG_FILE = 'vibe-relay.config.json'

/** How long a write waits for another process's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5000

const REMOTE_URL = /^(libsql|https?|wss?):\/\//i

/** Where the board database is, as resolved from flag, environment and config. */
export interface DatabaseLocation {
  /** The URL handed to `@libsql/client`. */
  url: string
  /** For remote URLs: `VIBE_RELAY_DB_TOKEN`. */
  authToken: string | undefined
  isLocal: boolean
  /** What log lines show: the file path, or the URL without credentials. */
  display: string
}

/**
 * Resolves the database location. Precedence: the `--db` flag, then
 * `VIBE_RELAY_DB`, then `db_path` in `vibe-relay.config.json` in `cwd`, then
 * `~/.vibe-relay/vibe-relay.db` (the Python version's default, so both share
 * a board). Accepts a file path (`~` expands), a `file:` URL, or a
 * `libsql:`, `http(s):` or `ws(s):` URL.
 *
 * @throws {RelayError} `invalid_input` for an unreadable config file.
 */
export function resolveDatabase(options: {
  flag?: string | undefined
  env: Record<string, string | undefined>
  cwd: string
}): DatabaseLocation {
  const chosen =
    nonEmpty(options.flag) ??
    nonEmpty(options.env.VIBE_RELAY_DB) ??
    readConfiguredPath(options.cwd) ??
    join(homedir(), '.vibe-relay', 'vibe-relay.db')

  if (REMOTE_URL.test(chosen)) {
    const url = parseUrl(chosen)
    url.username = ''
    url.password = ''
    url.search = ''
    return {
      url: chosen,
      authToken: nonEmpty(options.env.VIBE_RELAY_DB_TOKEN),
      isLocal: false,
      display: url.toString(),
    }
  }

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(chosen)?.[1]
  if (scheme !== undefined && scheme.toLowerCase() !== 'file') {
    throw new RelayError(
      'invalid_input',
      `The database URL scheme '${scheme}:' is not supported: give a file path, ` +
        'or a libsql:, http(s): or ws(s): URL'
    )
  }
  const raw = chosen.startsWith('file:')
    ? decodeURIComponent(chosen.replace(/^file:(\/\/)?/, ''))
    : chosen.replace(/^~(?=$|\/)/, homedir())
  const path = resolve(options.cwd, raw)
  return { url: pathToFileURL(path).href, authToken: undefined, isLocal: true, display: path }
}

function parseUrl(text: string): URL {
  try {
    return new URL(text)
  } catch (error) {
    throw new RelayError('invalid_input', `The database URL '${text}' is not a valid URL`, {
      cause: error,
    })
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function readConfiguredPath(cwd: string): string | undefined {
  const file = join(cwd, CONFIG_FILE)
  if (!existsSync(file)) {
    return undefined
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new RelayError('invalid_input', `${file} cannot be read: ${describe(error)}`, {
      cause: error,
    })
  }
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch (error) {
    throw new RelayError('invalid_input', `${file} is not valid JSON`, { cause: error })
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new RelayError('invalid_input', `${file} must hold a JSON object, e.g. {"db_path": "…"}`)
  }
  const dbPath = (config as { db_path?: unknown }).db_path
  if (dbPath === undefined) {
    return undefined
  }
  if (typeof dbPath !== 'string' || dbPath.trim() === '') {
    throw new RelayError('invalid_input', `${file}: db_path must be a non-empty string`)
  }
  // A relative db_path is relative to the config file, as in the Python version.
  return isAbsolute(dbPath) || REMOTE_URL.test(dbPath) || dbPath.startsWith('~')
    ? dbPath
    : resolve(cwd, dbPath)
}

/**
 * Opens the board database and migrates it. A local file's folder is
 * created if missing; every connection waits up to 5 s for another
 * process's write lock instead of failing at once.
 *
 * @throws {RelayError} `invalid_input` naming the database when it cannot be
 *   opened or migrated (a folder, no permission, an unreachable server).
 */
export async function openDatabase(location: DatabaseLocation): Promise<Client> {
  const cannotOpen = (reason: string, cause?: unknown) =>
    new RelayError('invalid_input', `Cannot open the database ${location.display}: ${reason}`, {
      cause,
    })
  if (location.isLocal) {
    if (existsSync(location.display) && statSync(location.display).isDirectory()) {
      throw cannotOpen('it is a folder, not a database file')
    }
    try {
      mkdirSync(dirname(location.display), { recursive: true })
    } catch (error) {
      throw cannotOpen(describe(error), error)
    }
  }
  let client: Client
  try {
    client = createClient({
      url: location.url,
      authToken: location.authToken,
      timeout: BUSY_TIMEOUT_MS,
      // A local file is read and written synchronously, so more connections
      // would not run anything in parallel; one connection also keeps the
      // per-connection pragmas of migrateDatabase in force for every query.
      ...(location.isLocal ? { concurrency: 1 } : {}),
    })
  } catch (error) {
    throw cannotOpen(describe(error), error)
  }
  try {
    await migrateDatabase(client, { isLocal: location.isLocal })
  } catch (error) {
    client.close()
    throw cannotOpen(describe(error), error)
  }
  return client
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : ''
  return cause && !message.includes(cause) ? `${message} (${cause})` : message
}
