/**
 * Shared set-up of the suppression, import, report and command tests: a temp git repository whose
 * `.sentra/config.json` defines demo rules, so the tests do not depend on the wording of the
 * pattern library. Tokens are built at run time; rule samples are stored as b64: so the config
 * itself holds no token a scan would find.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sentra, type CliResult } from '../helpers/cli.js'
import { git, tempRepo, writeFiles } from '../helpers/repo.js'
import { BASE62, fakeChars, joined } from '../helpers/samples.js'

export const SALT = 'suppress-test-salt'

const b64 = (text: string) => `b64:${Buffer.from(text).toString('base64')}`

/** A demo token of a rule's prefix: `dmo_` (high), `dlo_` (low), `dcr_` (critical). */
export function token(prefix: 'dmo_' | 'dlo_' | 'dcr_', seed: number): string {
  return joined(prefix, fakeChars(BASE62, 24, seed))
}

function demoRule(id: string, prefix: string, severity: string) {
  return {
    id,
    description: `Demo ${severity} token`,
    regex: `\\b(${prefix}[A-Za-z0-9]{24})\\b`,
    keywords: [prefix],
    severity,
    tags: ['demo'],
    examples: [b64(`key = ${prefix}${fakeChars(BASE62, 24, 99)}`)],
    negatives: [`${prefix} alone`],
  }
}

export const DEMO_RULES = [demoRule('demo-token', 'dmo_', 'high'), demoRule('demo-low', 'dlo_', 'low'), demoRule('demo-critical', 'dcr_', 'critical')]

export function demoConfig(extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ version: 1, fingerprintSalt: SALT, rules: DEMO_RULES, ...extra }, null, 2)}\n`
}

/** A temp repository with the demo config and the given files, all committed. */
export function demoRepo(files: Record<string, string> = {}, config = demoConfig()): string {
  const dir = tempRepo()
  writeFiles(dir, { '.sentra/config.json': config, ...files })
  git(dir, ['add', '-A'])
  git(dir, ['commit', '-q', '-m', 'initial'])
  return dir
}

export interface JsonFinding {
  rule: string
  file: string
  line: number
  column: number
  fingerprint: string
  secret: string
  severity: string
}

export interface JsonReport {
  findings: JsonFinding[]
  notices: { kind: string; message: string; file?: string }[]
}

/** `sentra scan --json ARGS` in `cwd`, parsed. */
export function scanJson(cwd: string, args: string[] = []): { result: CliResult; report: JsonReport } {
  const result = sentra(['scan', '--json', ...args], { cwd })
  let report: JsonReport
  try {
    report = JSON.parse(result.stdout) as JsonReport
  } catch {
    throw new Error(`scan did not print JSON (exit ${result.status}): ${result.stderr}${result.stdout}`)
  }
  return { result, report }
}

export function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8')
}
