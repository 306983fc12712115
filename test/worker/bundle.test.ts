import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'

import { expect, test } from 'vitest'

import { createTempDir } from '../helpers/database.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler')

interface Metafile {
  inputs: Record<string, unknown>
  outputs: Record<string, { imports: { path: string; external?: boolean }[] }>
}

const NODE_BUILTINS = new Set(builtinModules)

test('the Worker bundle holds no Node built-in and no native libSQL', async () => {
  const temp = await createTempDir()
  try {
    // What `wrangler deploy` would upload, built offline.
    await promisify(execFile)(
      WRANGLER,
      ['deploy', '--dry-run', '--outdir', temp.dir, '--metafile', join(temp.dir, 'meta.json')],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } }
    )
    const bundle = await readFile(join(temp.dir, 'worker.js'))
    const meta = JSON.parse(await readFile(join(temp.dir, 'meta.json'), 'utf8')) as Metafile
    const inputs = Object.keys(meta.inputs)
    const externals = Object.values(meta.outputs).flatMap((output) =>
      output.imports.filter((imported) => imported.external).map((imported) => imported.path)
    )

    const text = bundle.toString('utf8')
    expect(text).not.toMatch(/(?:from\s*|require\(\s*|import\(\s*)["']node:/)
    expect(externals.filter((path) => path.startsWith('node:') || NODE_BUILTINS.has(path))).toEqual(
      []
    )
    // The fetch-only libSQL client, not the one that loads a native binary.
    expect(inputs).toContain('node_modules/@libsql/client/lib-esm/web.js')
    expect(
      inputs.filter((path) =>
        /node_modules\/(?:libsql|@libsql\/(?:linux|darwin|win32)[^/]*)\/|\.node$|@libsql\/client\/lib-esm\/(?:node|sqlite3)\.js$/.test(
          path
        )
      )
    ).toEqual([])

    const kib = (bytes: number) => (bytes / 1024).toFixed(1)
    console.log(
      `Worker bundle: ${kib(bundle.length)} KiB, ${kib(gzipSync(bundle).length)} KiB gzipped, ` +
        `${String(inputs.length)} modules; external imports: ${externals.join(', ') || 'none'}`
    )
  } finally {
    await temp.cleanup()
  }
}, 60_000)
