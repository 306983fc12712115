import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createApp } from '../../src/http/app.js'
import { CONFIG_FILE, openDatabase, resolveDatabase } from '../../src/entry/database.js'
import { createTempDir } from '../helpers/database.js'
import { createProjectVia, send } from '../helpers/http.js'

const LOCK_HOLDER = fileURLToPath(new URL('../helpers/hold-write-lock.js', import.meta.url))

let dir: { dir: string; cleanup(): Promise<void> }

beforeEach(async () => {
  dir = await createTempDir()
})

afterEach(async () => {
  await dir.cleanup()
})

async function writeConfig(config: unknown) {
  await writeFile(join(dir.dir, CONFIG_FILE), JSON.stringify(config))
}

describe('resolveDatabase', () => {
  it('defaults to ~/.vibe-relay/vibe-relay.db, the Python version’s file', () => {
    const location = resolveDatabase({ env: {}, cwd: dir.dir })
    const path = join(homedir(), '.vibe-relay', 'vibe-relay.db')
    expect(location).toEqual({
      url: pathToFileURL(path).href,
      authToken: undefined,
      isLocal: true,
      display: path,
    })
  })

  it('takes db_path from vibe-relay.config.json in the working directory over the default', async () => {
    await writeConfig({ db_path: '/srv/board.db', other_key: 'ignored' })
    expect(resolveDatabase({ env: {}, cwd: dir.dir }).display).toBe('/srv/board.db')
  })

  it('reads a relative db_path against the working directory', async () => {
    await writeConfig({ db_path: 'data/board.db' })
    expect(resolveDatabase({ env: {}, cwd: dir.dir }).display).toBe(join(dir.dir, 'data/board.db'))
  })

  it('ignores a config file without db_path', async () => {
    await writeConfig({ port: 9000 })
    expect(resolveDatabase({ env: {}, cwd: dir.dir }).display).toBe(
      join(homedir(), '.vibe-relay', 'vibe-relay.db')
    )
  })

  it('takes VIBE_RELAY_DB over the config file', async () => {
    await writeConfig({ db_path: '/from/config.db' })
    const location = resolveDatabase({ env: { VIBE_RELAY_DB: '/from/env.db' }, cwd: dir.dir })
    expect(location.display).toBe('/from/env.db')
  })

  it('takes the flag over VIBE_RELAY_DB and the config file', async () => {
    await writeConfig({ db_path: '/from/config.db' })
    const location = resolveDatabase({
      flag: '/from/flag.db',
      env: { VIBE_RELAY_DB: '/from/env.db' },
      cwd: dir.dir,
    })
    expect(location.display).toBe('/from/flag.db')
  })

  it('skips an empty flag or variable', () => {
    const location = resolveDatabase({
      flag: '',
      env: { VIBE_RELAY_DB: '  ' },
      cwd: dir.dir,
    })
    expect(location.display).toBe(join(homedir(), '.vibe-relay', 'vibe-relay.db'))
  })

  it('resolves a relative flag against the working directory and expands ~', () => {
    expect(resolveDatabase({ flag: 'b.db', env: {}, cwd: dir.dir }).display).toBe(
      join(dir.dir, 'b.db')
    )
    expect(resolveDatabase({ flag: '~/x/b.db', env: {}, cwd: dir.dir }).display).toBe(
      join(homedir(), 'x/b.db')
    )
  })

  it('accepts a file: URL', () => {
    const location = resolveDatabase({ flag: 'file:///tmp/a%20b.db', env: {}, cwd: dir.dir })
    expect(location).toMatchObject({ isLocal: true, display: '/tmp/a b.db' })
  })

  it('keeps a remote URL, takes its token from VIBE_RELAY_DB_TOKEN, and hides credentials', () => {
    const location = resolveDatabase({
      env: {
        VIBE_RELAY_DB: 'libsql://admin:hunter2@board-acme.turso.io?authToken=secret-token',
        VIBE_RELAY_DB_TOKEN: 'token-from-env',
      },
      cwd: dir.dir,
    })
    expect(location.url).toBe('libsql://admin:hunter2@board-acme.turso.io?authToken=secret-token')
    expect(location.authToken).toBe('token-from-env')
    expect(location.isLocal).toBe(false)
    expect(location.display).toBe('libsql://board-acme.turso.io')
    expect(location.display).not.toMatch(/hunter2|secret-token|token-from-env/)
  })

  it.each(['http://127.0.0.1:8080', 'https://db.example.com', 'ws://localhost:8080', 'wss://x.io'])(
    'treats %s as remote',
    (url) => {
      const location = resolveDatabase({ flag: url, env: {}, cwd: dir.dir })
      expect(location).toMatchObject({ url, isLocal: false, authToken: undefined })
    }
  )

  it('takes a remote db_path from the config file', async () => {
    await writeConfig({ db_path: 'libsql://board.turso.io' })
    expect(resolveDatabase({ env: {}, cwd: dir.dir })).toMatchObject({
      url: 'libsql://board.turso.io',
      isLocal: false,
    })
  })

  it('refuses a config file that is not JSON, naming it', async () => {
    await writeFile(join(dir.dir, CONFIG_FILE), '{ db_path: ')
    expect(() => resolveDatabase({ env: {}, cwd: dir.dir })).toThrow(
      `${join(dir.dir, CONFIG_FILE)} is not valid JSON`
    )
  })

  it('refuses a config file that holds no JSON object instead of ignoring it', async () => {
    await writeConfig([])
    expect(() => resolveDatabase({ env: {}, cwd: dir.dir })).toThrow(
      `${join(dir.dir, CONFIG_FILE)} must hold a JSON object`
    )
  })

  it('refuses a URL scheme it cannot open rather than taking it for a relative path', () => {
    expect(() => resolveDatabase({ flag: 'ftp://host/board.db', env: {}, cwd: dir.dir })).toThrow(
      "The database URL scheme 'ftp:' is not supported"
    )
  })

  it('refuses a db_path that is not a non-empty string', async () => {
    await writeConfig({ db_path: 42 })
    expect(() => resolveDatabase({ env: {}, cwd: dir.dir })).toThrow(
      'db_path must be a non-empty string'
    )
  })

  it('does not read the config file when the flag decides', async () => {
    await writeFile(join(dir.dir, CONFIG_FILE), 'not json')
    expect(resolveDatabase({ flag: '/x.db', env: {}, cwd: dir.dir }).display).toBe('/x.db')
  })
})

describe('openDatabase', () => {
  it('creates missing folders and a migrated database file', async () => {
    const path = join(dir.dir, 'nested', 'deeper', 'board.db')
    const db = await openDatabase(resolveDatabase({ flag: path, env: {}, cwd: dir.dir }))
    try {
      const tables = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
      expect(tables.rows.map((row) => row.name)).toEqual(
        expect.arrayContaining(['projects', 'tasks', 'comments', 'agent_runs', 'ports', 'events'])
      )
    } finally {
      db.close()
    }
  })

  it('names a folder given as the database instead of failing with a driver code', async () => {
    const location = resolveDatabase({ flag: dir.dir, env: {}, cwd: dir.dir })
    await expect(openDatabase(location)).rejects.toThrow(
      `Cannot open the database ${dir.dir}: it is a folder, not a database file`
    )
  })

  it('waits for another process’s write lock instead of failing the request', async () => {
    const path = join(dir.dir, 'board.db')
    const db = await openDatabase(resolveDatabase({ flag: path, env: {}, cwd: dir.dir }))
    const holder = spawn(process.execPath, [LOCK_HOLDER, path, '400'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(holder, 'exit')
    try {
      const app = createApp({ db })
      const { task } = await createProjectVia(app)
      await once(holder.stdout, 'data')

      const started = Date.now()
      const response = await send(app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })

      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ status: 'in_progress' })
      // It did wait for the other process's commit rather than slip past it.
      expect(Date.now() - started).toBeGreaterThan(100)
      expect((await exited)[0]).toBe(0)
    } finally {
      holder.kill()
      db.close()
    }
  })

  it('answers 503 with Retry-After, and writes nothing, when the lock outlasts the busy timeout', async () => {
    const path = join(dir.dir, 'board.db')
    const db = await openDatabase(resolveDatabase({ flag: path, env: {}, cwd: dir.dir }))
    const holder = spawn(process.execPath, [LOCK_HOLDER, path, '6500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const app = createApp({ db })
      const { task } = await createProjectVia(app)
      await once(holder.stdout, 'data')

      const response = await send(app, 'PATCH', `/tasks/${task.id}`, { status: 'in_progress' })

      expect(response.status).toBe(503)
      expect(response.headers.get('Retry-After')).toBe('1')
      expect(response.body).toEqual({
        detail: 'The database is busy with another writer; retry shortly',
      })
      await once(holder, 'exit')
      const row = await db.execute({
        sql: 'SELECT status FROM tasks WHERE id = ?',
        args: [task.id],
      })
      expect(row.rows[0]?.status).toBe('backlog')
    } finally {
      holder.kill()
      db.close()
    }
  }, 20_000)
})
