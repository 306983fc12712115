import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Child processes and servers on loopback: two cores, so keep parallelism modest.
    maxWorkers: 2,
    // In CI a JSON report too, from which .ci/run prints a one-line summary.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.vitest-report.json' }]]
      : ['default'],
  },
})
