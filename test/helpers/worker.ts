import { fileURLToPath } from 'node:url'

import { unstable_startWorker } from 'wrangler'

/** The repository's `wrangler.toml`: the tests run the Worker as it deploys. */
export const WRANGLER_CONFIG = fileURLToPath(new URL('../../wrangler.toml', import.meta.url))

/** A Worker running locally in workerd. */
export interface RunningWorker {
  /** Its base URL, e.g. `http://127.0.0.1:41234`, without a trailing slash. */
  url: string
  dispose(): Promise<void>
}

/**
 * Runs `src/entry/worker.ts` in workerd through wrangler's programmatic API,
 * offline, on a free loopback port, with the database URL and token given
 * as the deployed Worker gets them (a var and secrets). Durable Object
 * storage lives in memory and goes with the Worker.
 */
export async function startWorker(options: {
  dbUrl: string
  dbToken: string
  /** The board's bearer token (`VIBE_RELAY_TOKEN`); without it the board is served as public. */
  boardToken?: string
  /** `VIBE_RELAY_PUBLIC`; default: `"true"` exactly when there is no board token. */
  isPublic?: boolean
  pollIntervalMs?: number
}): Promise<RunningWorker> {
  const worker = await unstable_startWorker({
    config: WRANGLER_CONFIG,
    sendMetrics: false,
    bindings: {
      VIBE_RELAY_DB: { type: 'plain_text', value: options.dbUrl },
      VIBE_RELAY_DB_TOKEN: { type: 'secret_text', value: options.dbToken },
      VIBE_RELAY_TOKEN: { type: 'secret_text', value: options.boardToken ?? '' },
      VIBE_RELAY_PUBLIC: {
        type: 'plain_text',
        value: String(options.isPublic ?? options.boardToken === undefined),
      },
      VIBE_RELAY_POLL_INTERVAL_MS: {
        type: 'plain_text',
        value: String(options.pollIntervalMs ?? 500),
      },
    },
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      // VIBE_RELAY_TEST_WORKER_LOGS=1 shows the Worker's own log lines.
      logLevel: process.env.VIBE_RELAY_TEST_WORKER_LOGS ? 'log' : 'warn',
    },
  })
  try {
    await worker.ready
    const url = await worker.url
    return { url: url.origin, dispose: () => worker.dispose() }
  } catch (error) {
    await worker.dispose()
    throw error
  }
}
