/**
 * The fast entry of `sentra guard`, which runs on every commit: bin/run.js imports it (bundled by
 * esbuild into guard.bundle.mjs) instead of oclif when the command is `guard` and no help is asked
 * for. Start-up is most of a hook's time, so this loads only what a scan needs: no oclif, no command
 * discovery. It takes the same flags as src/commands/guard.ts, which serves `--help`.
 */
import { readFileSync } from 'node:fs'
import { UserError, handleFatal } from '../cli/errors.js'
import type { ReportFormat } from '../report/index.js'
import { SEVERITIES, type Severity } from '../scan/rule.js'
import { runGuard, type GuardOptions } from './run-guard.js'

interface ParsedFlags {
  prePush: boolean
  format: ReportFormat
  color: boolean | undefined
  verbose: boolean
  debug: boolean
  noRedact: boolean
  config?: string
  baseline?: string
  failOn?: Severity
  positional: string[]
}

const VALUE_FLAGS = new Set(['--format', '-f', '--config', '-c', '--baseline', '--fail-on'])

/** Parses the guard's flags exactly as the oclif command declares them. */
export function parseGuardArgs(argv: readonly string[]): ParsedFlags {
  const flags: ParsedFlags = { prePush: false, format: 'text', color: undefined, verbose: false, debug: false, noRedact: false, positional: [] }
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!
    let value: string | undefined
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    if (eq !== -1) {
      value = arg.slice(eq + 1)
      arg = arg.slice(0, eq)
    }
    if (VALUE_FLAGS.has(arg) && value === undefined) {
      value = argv[++i]
      if (value === undefined) throw new UserError(`flag ${arg} expects a value (see sentra guard --help)`)
    } else if (!VALUE_FLAGS.has(arg) && value !== undefined) {
      throw new UserError(`flag ${arg} takes no value (see sentra guard --help)`)
    }
    switch (arg) {
      case '--pre-push':
        flags.prePush = true
        break
      case '--format':
      case '-f':
        // Checked against the renderers' list in main(): loading them is not worth it for text.
        flags.format = value as ReportFormat
        break
      case '--json':
        flags.format = 'json'
        break
      case '--color':
        flags.color = true
        break
      case '--no-color':
        flags.color = false
        break
      case '--verbose':
      case '-v':
        flags.verbose = true
        break
      case '--debug':
        flags.debug = true
        break
      case '--redact':
        flags.noRedact = false
        break
      case '--no-redact':
        flags.noRedact = true
        break
      case '--config':
      case '-c':
        flags.config = value!
        break
      case '--baseline':
        flags.baseline = value!
        break
      case '--fail-on':
        if (!(SEVERITIES as readonly string[]).includes(value!)) throw new UserError(`--fail-on: expected one of ${SEVERITIES.join(', ')}`)
        flags.failOn = value as Severity
        break
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UserError(`unknown flag ${arg} (see sentra guard --help)`)
        // git passes the remote's name and URL to a pre-push hook.
        flags.positional.push(arg)
    }
  }
  if (flags.positional.length > 2) throw new UserError(`unexpected arguments: ${flags.positional.join(' ')} (see sentra guard --help)`)
  return flags
}

/** Reads git's pre-push lines; a terminal on stdin means nobody is feeding any. */
export function readPushInput(): string {
  if (process.stdin.isTTY) throw new UserError('--pre-push reads the refs being pushed from standard input, as git gives them to a pre-push hook')
  return readFileSync(0, 'utf8')
}

export function guardOptions(flags: ParsedFlags, cwd: string): GuardOptions {
  return {
    cwd,
    prePush: flags.prePush,
    ...(flags.prePush ? { stdin: readPushInput() } : {}),
    format: flags.format,
    ...(flags.color !== undefined ? { color: flags.color } : {}),
    verbose: flags.verbose,
    noRedact: flags.noRedact,
    ...(flags.config !== undefined ? { config: flags.config } : {}),
    ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
    ...(flags.failOn ? { failOn: flags.failOn } : {}),
    workerUrl: new URL('../scan/sources/history-worker.js', import.meta.url),
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  let debug = argv.includes('--debug')
  try {
    const flags = parseGuardArgs(argv)
    debug = flags.debug
    if (flags.format !== 'text') {
      const { REPORT_FORMATS } = await import('../report/index.js')
      if (!(REPORT_FORMATS as readonly string[]).includes(flags.format)) throw new UserError(`--format: expected one of ${REPORT_FORMATS.join(', ')}`)
    }
    process.exitCode = await runGuard(guardOptions(flags, process.cwd()))
  } catch (error) {
    // Fail closed: anything that stops the scan (git failing, a broken config) exits 2 and blocks the commit.
    handleFatal(error, debug)
  }
}
