#!/usr/bin/env node
// Entry point. Every command goes through oclif, except `sentra guard` (the pre-commit hook, run on
// every commit): it loads a bundled entry that skips oclif's start-up. Its --help stays oclif's.
const argv = process.argv.slice(2)
if (argv[0] === 'guard' && !argv.includes('--help') && !argv.includes('-h') && process.env.SENTRA_FAST_GUARD !== '0') {
  const guard = await import('../dist/guard/guard.mjs').catch((error) => {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
    return import('../dist/fast/guard.js') // a build without the bundle step
  })
  await guard.main(argv.slice(1))
} else {
  const { run } = await import('../dist/cli/main.js')
  await run(argv, import.meta.url)
}
