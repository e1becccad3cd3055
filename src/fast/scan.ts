/**
 * The fast entry of `sentra scan`, the command CI runs on every push: bin/run.js imports it (bundled
 * by esbuild into dist/scan-entry/scan.mjs) instead of oclif when the command is `scan` and no help
 * is asked for. It parses the flags without oclif (src/fast/scan-args.ts) and runs the same body as
 * the oclif command (src/cli/scan-run.ts). Arguments it does not parse itself (usage errors, oclif's
 * odd forms) go back to bin/run.js, which runs the oclif command: errors stay oclif's, word for word.
 */
import { EXIT_ERROR, UserError } from '../cli/errors.js'
import { runScan } from '../cli/scan-run.js'
import { parseScanArgs } from './scan-args.js'

/** One line for an error, as SentraCommand.catch (src/cli/base.ts) prints it for the oclif command. */
function reportError(error: unknown, debug: boolean): number {
  const err = error as Error
  const message = String(err?.message ?? error).replace(/^Error:\s*/, '').split('\n').filter((line) => line.trim() !== '')
  const first = message[0] ?? 'unknown error'
  const rest = error instanceof UserError ? [] : message.slice(1, 4)
  process.stderr.write(`sentra: error: ${first}\n${rest.map((line) => `  ${line.trim()}\n`).join('')}`)
  if (debug && err?.stack) process.stderr.write(`${err.stack}\n`)
  return error instanceof UserError ? error.exitCode : EXIT_ERROR
}

/** Runs `sentra scan ARGV`; false when the arguments are for oclif to parse (nothing was run). */
export async function main(argv: readonly string[]): Promise<boolean> {
  const parsed = parseScanArgs(argv)
  if (!parsed) return false
  // As oclif does: a reader that stops early (`sentra scan | head`) is no error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
  })
  try {
    process.exitCode = await runScan(parsed.flags, parsed.paths)
  } catch (error) {
    process.exitCode = reportError(error, argv.includes('--debug'))
  }
  return true
}
