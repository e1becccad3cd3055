/**
 * The flags of `sentra scan` for the fast entry (src/fast/scan.ts), parsed with node:util parseArgs
 * instead of oclif. The table mirrors the oclif definitions in src/commands/scan.ts (plus the base
 * --debug flag); test/cli/scan-fast.test.ts checks that the two agree, flag by flag.
 *
 * oclif's parser has quirks of its own (`--color=true` makes `true` a path, `--verbose=` is accepted,
 * `-f=json` means json) and its error messages are its own. Rather than imitate all of them, this
 * parser accepts only the plain forms whose meaning it shares with oclif, and declines everything
 * else (unknown or repeated flags, bad values, conflicts, short-flag clusters, `--`, values that look
 * like flags): the caller then runs the oclif command, which parses, and fails, as it always has.
 */
import { parseArgs } from 'node:util'
import type { ScanFlags } from '../cli/scan-run.js'
import { REPORT_FORMATS } from '../report/index.js'
import { SEVERITIES } from '../scan/rule.js'

export interface FlagSpec {
  type: 'boolean' | 'string' | 'integer'
  char?: string
  /** A --no-NAME form exists. */
  allowNo?: boolean
  default?: boolean | string
  options?: readonly string[]
  min?: number
  max?: number
  /** Flags that cannot be given with this one. */
  exclusive?: readonly string[]
  /** Flags this one requires. */
  dependsOn?: readonly string[]
}

const GIT_SOURCES = ['staged', 'history', 'since', 'range', 'commits']
const gitExclusive = (name: string) => [...GIT_SOURCES.filter((source) => source !== name), 'stdin']

/** Every flag `sentra scan` takes, as src/commands/scan.ts and src/cli/git-scan.ts declare them. */
export const SCAN_FLAG_TABLE: Readonly<Record<string, FlagSpec>> = {
  stdin: { type: 'boolean' },
  'stdin-filename': { type: 'string', dependsOn: ['stdin'] },
  format: { type: 'string', char: 'f', options: REPORT_FORMATS, default: 'text' },
  json: { type: 'boolean' },
  output: { type: 'string', char: 'o' },
  color: { type: 'boolean', allowNo: true },
  redact: { type: 'boolean', allowNo: true, default: true },
  'include-fixtures': { type: 'boolean' },
  config: { type: 'string', char: 'c' },
  threads: { type: 'integer', min: 0, max: 64 },
  verbose: { type: 'boolean', char: 'v' },
  baseline: { type: 'string' },
  'fail-on': { type: 'string', options: SEVERITIES },
  'report-unused-ignores': { type: 'boolean' },
  staged: { type: 'boolean', exclusive: gitExclusive('staged') },
  history: { type: 'boolean', exclusive: gitExclusive('history') },
  since: { type: 'string', exclusive: gitExclusive('since') },
  range: { type: 'string', exclusive: gitExclusive('range') },
  commits: { type: 'integer', min: 1, exclusive: gitExclusive('commits') },
  debug: { type: 'boolean' },
}

export interface ParsedScanArgs {
  flags: ScanFlags & { debug?: boolean }
  paths: string[]
}

type ParseConfig = NonNullable<Parameters<typeof parseArgs>[0]>['options']

/** parseArgs options: the flags, and each --no-NAME as a boolean of its own (Node 20 has no allowNegative). */
function parseOptions(): NonNullable<ParseConfig> {
  const options: NonNullable<ParseConfig> = {}
  for (const [name, spec] of Object.entries(SCAN_FLAG_TABLE)) {
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.char ? { short: spec.char } : {}) }
    if (spec.allowNo) options[`no-${name}`] = { type: 'boolean' }
  }
  return options
}

const DECIMAL = /^(0|[1-9][0-9]{0,5})$/

/** The flags and paths of `sentra scan ARGV`, or undefined when oclif must parse them (see above). */
export function parseScanArgs(argv: readonly string[]): ParsedScanArgs | undefined {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions(), strict: true, allowPositionals: true, tokens: true })
  } catch {
    return undefined
  }
  const given = new Map<string, string | boolean>()
  const indexes = new Set<number>()
  for (const token of parsed.tokens ?? []) {
    if (token.kind === 'option-terminator') return undefined
    if (token.kind === 'positional') {
      if (token.value.startsWith('-')) return undefined
      continue
    }
    // One argument holding several options (-vf) or a short option with its value attached (-fjson).
    if (indexes.has(token.index) || (token.rawName.length === 2 && token.inlineValue)) return undefined
    indexes.add(token.index)
    const negated = token.name.startsWith('no-') && !(token.name in SCAN_FLAG_TABLE)
    const name = negated ? token.name.slice(3) : token.name
    if (given.has(name)) return undefined
    const value = token.value
    if (value !== undefined && (value === '' || value.startsWith('-'))) return undefined
    given.set(name, value ?? !negated)
  }
  const flags: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(SCAN_FLAG_TABLE)) {
    const value = given.get(name)
    if (value === undefined) {
      if (spec.default !== undefined) flags[name] = spec.default
      continue
    }
    if (spec.type === 'integer') {
      if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined
      const number = Number(value)
      if ((spec.min !== undefined && number < spec.min) || (spec.max !== undefined && number > spec.max)) return undefined
      flags[name] = number
    } else {
      if (spec.options && !spec.options.includes(value as string)) return undefined
      flags[name] = value
    }
  }
  for (const name of given.keys()) {
    const spec = SCAN_FLAG_TABLE[name]!
    if (spec.exclusive?.some((other) => given.has(other))) return undefined
    if (spec.dependsOn?.some((other) => !given.has(other))) return undefined
  }
  return { flags: flags as unknown as ParsedScanArgs['flags'], paths: parsed.positionals }
}
