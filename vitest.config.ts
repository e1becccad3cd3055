import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most tests wait on the CLI processes they start: two files at a time use both cores (6.4 min vs 9.8).
    maxWorkers: 2,
    reporters: ['default'],
  },
})
