import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createTempDir } from '../helpers/database.js'
import { type CliProcess, SERVING, runCli, stopCli } from '../helpers/cli.js'

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
) as { version: string }

let dir: { dir: string; cleanup(): Promise<void> }
const running: CliProcess[] = []

beforeEach(async () => {
  dir = await createTempDir()
})

afterEach(async () => {
  for (const cli of running.splice(0)) {
    await stopCli(cli)
  }
  await dir.cleanup()
})

function cli(args: string[], env: Record<string, string> = {}): CliProcess {
  const process = runCli(args, { home: dir.dir, env })
  running.push(process)
  return process
}

describe('vibe-relay serve', () => {
  it('prints its URL and database, answers requests, and stops on SIGTERM within a second', async () => {
    const dbPath = join(dir.dir, 'board.db')
    const server = cli(['serve', '--port', '0', '--db', dbPath])

    const [line, url] = await server.waitForStderr(SERVING, 10_000)
    expect(line).toBeDefined()
    expect(server.stderr()).toContain(`vibe-relay ${version} serving on ${url!}`)
    expect(server.stderr()).toContain(`database ${dbPath}`)
    expect(server.stderr()).toContain('polling events every 500 ms')

    const response = await fetch(`${url!}/projects`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([])
    await server.waitForStderr(/GET \/projects 200 [\d.]+ms/, 1000)

    const signalled = Date.now()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(1000)
    expect(server.stderr()).toContain('SIGTERM received, shutting down')
    expect(server.stderr()).toContain('websockets closed, event polling stopped, database closed')
  })

  it('stops on SIGINT (Ctrl-C) the same way', async () => {
    const server = cli(['serve', '--port', '0', '--db', join(dir.dir, 'board.db')])
    await server.waitForStderr(SERVING, 10_000)

    server.child.kill('SIGINT')

    expect(await server.exited).toBe(0)
    expect(server.stderr()).toContain('SIGINT received, shutting down')
  })

  it('uses VIBE_RELAY_DB when no --db is given', async () => {
    const dbPath = join(dir.dir, 'from-env.db')
    const server = cli(['serve', '--port', '0'], { VIBE_RELAY_DB: dbPath })
    await server.waitForStderr(SERVING, 10_000)
    expect(server.stderr()).toContain(`database ${dbPath}`)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  it('refuses --port abc with a clear message and a non-zero exit', async () => {
    const run = cli(['serve', '--port', 'abc', '--db', join(dir.dir, 'board.db')])
    const code = await run.exited
    expect(code).not.toBe(0)
    expect(typeof code).toBe('number')
    expect(run.stderr()).toBe(
      "vibe-relay: --port must be a whole number from 0 to 65535, got 'abc'\n"
    )
  })

  it('refuses an empty --port instead of reading it as 0', async () => {
    const run = cli(['serve', '--port', '', '--db', join(dir.dir, 'board.db')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toBe('vibe-relay: --port needs a value\n')
  })

  it('refuses a port that is taken with a message naming it', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const port = String((blocker.address() as { port: number }).port)
      const run = cli(['serve', '--port', port, '--db', join(dir.dir, 'board.db')])
      expect(await run.exited).not.toBe(0)
      expect(run.stderr()).toMatch(new RegExp(`^vibe-relay: .*EADDRINUSE.*${port}`, 'm'))
    } finally {
      blocker.close()
    }
  })
})

describe('vibe-relay', () => {
  it('prints its help with --help, naming serve and its options', async () => {
    const run = cli(['serve', '--help'])
    expect(await run.exited).toBe(0)
    for (const option of ['--port', '--host', '--db', '--reload', '--poll-interval']) {
      expect(run.stdout()).toContain(option)
    }
    const top = cli(['--help'])
    expect(await top.exited).toBe(0)
    expect(top.stdout()).toMatch(/Usage:\s+\$ vibe-relay/)
    expect(top.stdout()).toContain('serve')
  })

  it('prints the package version with --version', async () => {
    const run = cli(['--version'])
    expect(await run.exited).toBe(0)
    expect(run.stdout()).toMatch(new RegExp(`^vibe-relay/${version.replace(/\./g, '\\.')} `))
  })

  it('refuses an unknown command', async () => {
    const run = cli(['serv'])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toBe("vibe-relay: Unknown command 'serv'; see vibe-relay --help\n")
  })
})
