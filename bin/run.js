#!/usr/bin/env node
// Entry point. Every command goes through oclif, except the two that run most often and are mostly
// start-up: `sentra guard` (the pre-commit hook) and `sentra scan` (CI, on every push). They load
// bundled entries that skip oclif's start-up; their --help stays oclif's. The scan's entry hands back
// the arguments it does not parse itself (usage errors among them): oclif then runs the command.
// SENTRA_FAST_GUARD=0 and SENTRA_FAST_SCAN=0 take the oclif path.
const argv = process.argv.slice(2)
const wantsHelp = argv.includes('--help') || argv.includes('-h')
/** A bundled entry, or its unbundled form when the build had no bundle step. */
const fastEntry = (bundled, plain) =>
  import(bundled).catch((error) => {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
    return import(plain)
  })
let done = false
if (argv[0] === 'guard' && !wantsHelp && process.env.SENTRA_FAST_GUARD !== '0') {
  const guard = await fastEntry('../dist/guard/guard.mjs', '../dist/fast/guard.js')
  await guard.main(argv.slice(1))
  done = true
} else if (argv[0] === 'scan' && !wantsHelp && process.env.SENTRA_FAST_SCAN !== '0') {
  const scan = await fastEntry('../dist/scan-entry/scan.mjs', '../dist/fast/scan.js')
  done = await scan.main(argv.slice(1))
}
if (!done) {
  const { run } = await import('../dist/cli/main.js')
  await run(argv, import.meta.url)
}
