import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { type CliProcess, SERVING, runCli, stopCli } from '../helpers/cli.js'
import { createTempDir } from '../helpers/database.js'

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))

let dir: { dir: string; cleanup(): Promise<void> }
let supervisor: CliProcess | undefined
let probe: string | undefined

beforeEach(async () => {
  dir = await createTempDir()
})

afterEach(async () => {
  if (supervisor) {
    await stopCli(supervisor)
  }
  if (probe) {
    await rm(probe, { force: true })
  }
  await dir.cleanup()
})

/** Fetches `/projects` from the newest server the supervisor started, retrying while it restarts. */
async function answersAfter(cli: CliProcess, from: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const urls = [...cli.stderr().slice(from).matchAll(new RegExp(SERVING, 'g'))]
    const url = urls.at(-1)?.[1]
    if (url) {
      const ok = await fetch(`${url}/projects`).then(
        (response) => response.status === 200,
        () => false
      )
      if (ok) {
        return url
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no server answered after the restart:\n${cli.stderr()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('vibe-relay serve --reload', () => {
  it('restarts the server when a built file changes, and serves again', async () => {
    supervisor = runCli(['serve', '--reload', '--port', '0', '--db', join(dir.dir, 'board.db')], {
      home: dir.dir,
    })
    await supervisor.waitForStderr(/reload: watching .*dist/, 10_000)
    const [, firstUrl] = await supervisor.waitForStderr(SERVING, 10_000)
    expect((await fetch(`${firstUrl!}/projects`)).status).toBe(200)

    const before = supervisor.stderr().length
    probe = join(DIST, `.reload-probe-${String(process.pid)}-${String(Date.now())}`)
    await writeFile(probe, 'touched by test/entry/reload.test.ts\n')

    await supervisor.waitForStderr(/reload: files changed, restarting the server/, 10_000, before)
    const restarted = supervisor.stderr().indexOf('restarting the server', before)
    await supervisor.waitForStderr(SERVING, 10_000, restarted)
    await answersAfter(supervisor, restarted, 10_000)

    supervisor.child.kill('SIGTERM')
    expect(await supervisor.exited).toBe(0)
  })
})
