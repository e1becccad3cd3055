import { fileURLToPath } from 'node:url'
import { gitSync } from '../../git/exec.js'
import { readWorkingChain } from '../manifest/chain.js'
import { isValuesFormat } from './ops.js'

/**
 * What `sentra init` sets up for per-value files: the diff textconv driver and the merge driver in
 * the clone's git config (with absolute paths of node and sentra, like the hooks), and the
 * `.gitattributes` lines for the managed per-value paths of the vault policy.
 */
export interface SetupAction {
  target: string
  action: 'created' | 'updated' | 'unchanged' | 'skipped'
  detail: string
}

const ENTRY = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`
}

export function sentraCommandLine(node = process.execPath, entry = ENTRY): string {
  return `${shellQuote(node)} ${shellQuote(entry)}`
}

export const ATTRIBUTES = '-text diff=sentra merge=sentra'

function getConfig(repoRoot: string, name: string): string | undefined {
  try {
    return gitSync(['config', '--local', '--get', name], repoRoot).toString('utf8').trim()
  } catch {
    return undefined
  }
}

/** Sets the drivers in the local git config; never turns on cachetextconv (it would keep plaintext in git notes). */
export function registerDrivers(repoRoot: string, command = sentraCommandLine()): SetupAction[] {
  const wanted: Array<[string, string, string]> = [
    ['diff.sentra.textconv', `${command} textconv`, 'members see decrypted diffs (never cached)'],
    ['merge.sentra.name', 'sentra per-value merge', 'merge driver name'],
    ['merge.sentra.driver', `${command} merge-driver %O %A %B %P`, 'merges per key without a key and re-signs'],
  ]
  const actions: SetupAction[] = wanted.map(([name, value, detail]) => {
    const current = getConfig(repoRoot, name)
    if (current === value) return { target: `git config ${name}`, action: 'unchanged', detail }
    gitSync(['config', '--local', name, value], repoRoot)
    return { target: `git config ${name}`, action: current === undefined ? 'created' : 'updated', detail }
  })
  if (getConfig(repoRoot, 'diff.sentra.cachetextconv') !== undefined) {
    gitSync(['config', '--local', '--unset-all', 'diff.sentra.cachetextconv'], repoRoot)
    actions.push({ target: 'git config diff.sentra.cachetextconv', action: 'updated', detail: 'removed: cached textconv output would keep plaintext in git notes' })
  }
  return actions
}

/** A micromatch glob as a .gitattributes pattern (anchored at the root), or undefined when git's syntax cannot say it. */
export function attributePattern(glob: string): string | undefined {
  if (/[{}()!+@]|\\|\s/.test(glob)) return undefined
  return glob.startsWith('**/') ? glob : `/${glob}`
}

/** The .gitattributes lines for the managed per-value paths, and notes for globs git cannot express. */
export function managedAttributeLines(repoRoot: string): { lines: string[]; notes: string[] } {
  let chain
  try {
    chain = readWorkingChain(repoRoot)
  } catch (error) {
    return { lines: [], notes: [`the team manifest cannot be read (${(error as Error).message}): no managed paths marked in .gitattributes`] }
  }
  if (!chain) return { lines: [], notes: [] }
  const lines: string[] = []
  const notes: string[] = []
  for (const rule of chain.state.policy) {
    if (!isValuesFormat(rule.format)) continue
    const pattern = attributePattern(rule.glob)
    if (pattern) lines.push(`${pattern} ${ATTRIBUTES}`)
    else notes.push(`the managed glob ${rule.glob} has no .gitattributes equivalent: add a line "<pattern> ${ATTRIBUTES}" for its files by hand`)
  }
  return { lines, notes }
}
