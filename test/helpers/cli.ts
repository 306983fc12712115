import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The built CLI; `npm test` builds it with tsup before running vitest. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/** A running `vibe-relay` process and what it has written so far. */
export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the first match of `pattern` in stderr at or after `from` (a character offset). */
  waitForStderr(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>
}

/**
 * Runs `node dist/cli.js ...args` with HOME pointed at `home`, so that no
 * default database of the machine is ever touched, and without any
 * VIBE_RELAY_* variable of the calling environment.
 */
export function runCli(
  args: string[],
  options: { home: string; cwd?: string; env?: Record<string, string> }
): CliProcess {
  const env: Record<string, string | undefined> = { ...process.env, HOME: options.home }
  for (const name of Object.keys(env)) {
    if (name.startsWith('VIBE_RELAY_')) {
      env[name] = undefined
    }
  }
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? options.home,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const listeners = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
    for (const listener of listeners) {
      listener()
    }
  })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? -1)
    })
  })

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr: (pattern, timeoutMs, from = 0) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = err.slice(from).match(pattern)
          if (match) {
            done()
            resolve(match)
          }
        }
        const done = () => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        const timer = setTimeout(() => {
          done()
          reject(
            new Error(
              `stderr did not show ${String(pattern)} within ${String(timeoutMs)} ms:\n${err}`
            )
          )
        }, timeoutMs)
        listeners.add(check)
        void exited.then(() => {
          setTimeout(() => {
            if (listeners.has(check)) {
              done()
              reject(new Error(`the process exited before showing ${String(pattern)}:\n${err}`))
            }
          }, 50)
        })
        check()
      }),
  }
}

/** Stops a CLI process that a test left running (by its pid, never by name). */
export async function stopCli(cli: CliProcess): Promise<void> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) {
    cli.child.kill('SIGKILL')
    await cli.exited
  }
}

/** The server URL in a `serving on http://…` line. */
export const SERVING = /serving on (http:\/\/[\d.]+:\d+)/

/** A `vibe-relay serve` child process and what it printed. */
export interface ServeProcess {
  child: ChildProcess
  url: string
  stderr: string[]
  /** SIGTERMs it (if still running) and waits for its exit. */
  stop(): Promise<void>
}

/**
 * Runs `node dist/cli.js serve --port 0 --db <dbPath> …` and waits for its
 * "serving on" line. Build first (`npx tsup`): the test reads `dist/`.
 */
export async function spawnServe(
  dbPath: string,
  args: string[] = [],
  env: Record<string, string> = {}
): Promise<ServeProcess> {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run npx tsup first`)
  }
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--db', dbPath, '--poll-interval', '100', ...args],
    { env: { ...process.env, VIBE_RELAY_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  const stderr: string[] = []
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve()
    })
  })
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = ''
    child.stderr.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        stderr.push(line)
        const match = /serving on (http:\/\/\S+)/.exec(line)
        if (match) {
          resolve(match[1]!)
        }
      }
    })
    child.once('exit', (code) => {
      reject(new Error(`serve exited with ${String(code)}: ${stderr.join('\n')}`))
    })
  })
  return {
    child,
    url,
    stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
      }
      await exited
    },
  }
}
