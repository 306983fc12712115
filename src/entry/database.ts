import { existsSync, mkdirSync, readFileSync } from 'node:fs'
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
    const url = new URL(chosen)
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

  const raw = chosen.startsWith('file:')
    ? decodeURIComponent(chosen.replace(/^file:(\/\/)?/, ''))
    : chosen.replace(/^~(?=$|\/)/, homedir())
  const path = resolve(options.cwd, raw)
  return { url: pathToFileURL(path).href, authToken: undefined, isLocal: true, display: path }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function readConfiguredPath(cwd: string): string | undefined {
  const file = join(cwd, CONFIG_FILE)
  if (!existsSync(file)) {
    return undefined
  }
  let config: unknown
  try {
    config = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new RelayError('invalid_input', `${file} is not valid JSON`, { cause: error })
  }
  const dbPath = (config as { db_path?: unknown } | null)?.db_path
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
 * @throws the client's `LibsqlError` when the database cannot be opened.
 */
export async function openDatabase(location: DatabaseLocation): Promise<Client> {
  if (location.isLocal) {
    mkdirSync(dirname(location.display), { recursive: true })
  }
  const client = createClient({
    url: location.url,
    authToken: location.authToken,
    timeout: BUSY_TIMEOUT_MS,
    // A local file is read and written synchronously, so more connections
    // would not run anything in parallel; one connection also keeps the
    // per-connection pragmas of migrateDatabase in force for every query.
    ...(location.isLocal ? { concurrency: 1 } : {}),
  })
  try {
    await migrateDatabase(client, { isLocal: location.isLocal })
  } catch (error) {
    client.close()
    throw error
  }
  return client
}
