import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, realpathSync, watch } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Log } from '../domain/log.js'

const DEBOUNCE_MS = 250

/**
 * `serve --reload`: runs the server in a child process and restarts it when
 * the package's files change, like uvicorn's `--reload`. A change under
 * `src/` is rebuilt with the package's tsup first; a change under `dist/`
 * (from `tsup --watch`, say) only restarts. Ctrl-C stops both processes.
 */
export function superviseWithReload(serveArgs: string[], log: Log): void {
  // The CLI's own file, not this module's: tsup puts this one in a chunk.
  const script = realpathSync(process.argv[1] ?? fileURLToPath(import.meta.url))
  const root = join(dirname(script), '..')
  const tsup = join(root, 'node_modules', '.bin', 'tsup')
  const sourceDir = join(root, 'src')
  const canBuild = existsSync(sourceDir) && existsSync(tsup)

  let child: ChildProcess | undefined
  let sourceChanged = false
  let building = false
  let timer: NodeJS.Timeout | undefined
  let stopping = false

  const start = () => {
    child = spawn(process.execPath, [script, ...serveArgs], { stdio: 'inherit' })
  }

  const restart = () => {
    if (canBuild && sourceChanged) {
      building = true
      sourceChanged = false
      const build = spawnSync(tsup, ['--silent'], { cwd: root, stdio: 'inherit' })
      building = false
      if (build.status !== 0) {
        log('warn', 'reload: build failed; the server keeps running the previous build')
        return
      }
    }
    log('info', 'reload: files changed, restarting the server')
    const old = child
    if (old && old.exitCode === null) {
      old.once('exit', start)
      old.kill('SIGTERM')
    } else {
      start()
    }
  }

  const schedule = (isSource: boolean) => () => {
    if (building) {
      return
    }
    sourceChanged ||= isSource
    clearTimeout(timer)
    timer = setTimeout(restart, DEBOUNCE_MS)
  }

  const watchers = [watch(dirname(script), { recursive: true }, schedule(false))]
  if (canBuild) {
    watchers.push(watch(sourceDir, { recursive: true }, schedule(true)))
  }

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      return
    }
    stopping = true
    for (const watcher of watchers) {
      watcher.close()
    }
    clearTimeout(timer)
    if (child && child.exitCode === null) {
      child.once('exit', (code) => process.exit(code ?? 0))
      child.kill(signal)
    } else {
      process.exit(0)
    }
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  log('info', `reload: watching ${canBuild ? `${sourceDir} and ` : ''}${dirname(script)}`)
  start()
}
