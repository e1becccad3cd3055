import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TeamState } from '../manifest/state.js'
import { policyForPath } from '../manifest/state.js'
import { checkValuesFile, formatByName, isValuesFormat } from './ops.js'

export interface ValuesProblem {
  kind: 'plaintext' | 'values-file' | 'drift'
  path: string
  message: string
}

/** Text that marks a file as sentra per-value encrypted (tokens or metadata). */
export function looksEncrypted(text: string): boolean {
  return text.includes('ENC[sentra:v1,') || text.includes('#sentra:') || /^sentra:/m.test(text) || /"sentra"\s*:/.test(text)
}

/**
 * `verify` for per-value files: every managed per-value path, and every other dotenv/JSON/YAML file
 * that holds sentra tokens or metadata. Managed paths in clear count only when tracked (committed or
 * staged); an untracked plain file is not in the repository yet (the guard stops it being added).
 */
export function verifyValuesFiles(state: TeamState, repoRoot: string, all: readonly string[], tracked: ReadonlySet<string>): { problems: ValuesProblem[]; checked: number } {
  const problems: ValuesProblem[] = []
  let checked = 0
  for (const path of all) {
    const rule = policyForPath(state, path)
    const format = rule ? rule.format : formatByName(path)
    if (!format || !isValuesFormat(format)) continue
    const file = join(repoRoot, path)
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8')
    if (!rule && !looksEncrypted(text)) continue
    const check = checkValuesFile(state, path, text, format)
    // A plain file is a problem only at a managed path, and only once it is in the repository.
    if (check.plaintext && (!rule || !tracked.has(path))) continue
    checked++
    for (const message of check.problems) problems.push({ kind: check.plaintext ? 'plaintext' : 'values-file', path, message })
    for (const message of check.warnings) problems.push({ kind: 'drift', path, message })
  }
  return { problems, checked }
}
