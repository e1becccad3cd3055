import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gitSync } from './exec.js'
import { detectHusky, type Husky } from './husky.js'

export type HookName = 'pre-commit' | 'pre-merge-commit' | 'pre-push'
export const COMMIT_HOOKS: readonly HookName[] = ['pre-commit', 'pre-merge-commit']
export const ALL_HOOKS: readonly HookName[] = ['pre-commit', 'pre-merge-commit', 'pre-push']

/** The hook scripts shipped with sentra (hooks/ at the package root). */
export const HOOK_TEMPLATES_DIR = fileURLToPath(new URL('../../hooks/', import.meta.url))
const DEFAULT_ENTRY = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/** Every hook file sentra writes carries this line; uninstall removes only files that do. */
export const HOOK_MARKER = '# sentra-hook: v1'
/** Suffix of a hook that was in place before sentra's: sentra's hook runs it first. */
export const CHAINED_SUFFIX = '.pre-sentra'
const HUSKY_BEGIN = '# >>> sentra guard (added by `sentra hook install`, removed by `sentra hook uninstall`)'
const HUSKY_END = '# <<< sentra guard'
const HUSKY_CREATED = ' [created the file]'

export type HookActionKind =
  | 'installed' // a new hook file
  | 'updated' // sentra's hook file, rewritten (new paths or version)
  | 'unchanged'
  | 'chained' // an existing hook moved aside; sentra's hook runs it first
  | 'husky-added' // lines added to a husky hook script
  | 'removed'
  | 'restored' // the chained hook put back in place
  | 'husky-removed'
  | 'not-installed'
  | 'foreign' // a hook sentra did not write: left alone

export interface HookAction {
  hook: HookName
  /** The file acted on, relative to the repository root when inside it. */
  path: string
  action: HookActionKind
  message: string
}

export interface HookResult {
  /** Where hooks live: git's hooks dir, a core.hooksPath dir, or husky's scripts. */
  mode: 'hooks-dir' | 'husky'
  dir: string
  actions: HookAction[]
  /** Things the user should know (e.g. husky needs sentra on its PATH). */
  notes: string[]
}

export interface InstallOptions {
  /** Also install the pre-push hook (scans every commit being pushed). */
  prePush?: boolean
  /** Node binary written into the hook (default: the one running now). */
  node?: string
  /** sentra's entry script written into the hook (default: this installation's bin/run.js). */
  entry?: string
  /** When a hook that sentra did not write is in place: chain it (default) or refuse. */
  onExisting?: 'chain' | 'refuse'
}

export class HookConflictError extends Error {}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** A hook script from the shipped template, with this installation's node and entry paths. */
export function hookScript(hook: HookName, node: string, entry: string): string {
  const template = readFileSync(join(HOOK_TEMPLATES_DIR, hook), 'utf8')
  return template
    .replace(/^SENTRA_NODE=''$/m, () => `SENTRA_NODE=${shellQuote(node)}`)
    .replace(/^SENTRA_ENTRY=''$/m, () => `SENTRA_ENTRY=${shellQuote(entry)}`)
}

/** The directory git runs hooks from: core.hooksPath when set, else the common dir's hooks/. */
export function hooksDir(repoRoot: string): string {
  const dir = gitSync(['rev-parse', '--git-path', 'hooks'], repoRoot).toString('utf8').trim()
  return isAbsolute(dir) ? dir : resolve(repoRoot, dir)
}

function display(repoRoot: string, path: string): string {
  const rel = relative(repoRoot, path)
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function writeHook(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o755 })
  chmodSync(path, 0o755)
}

/** Why a hook cannot be installed over what is there, or undefined. */
function conflict(repoRoot: string, dir: string, hook: HookName, onExisting: 'chain' | 'refuse'): string | undefined {
  const path = join(dir, hook)
  const existing = readIfExists(path)
  if (existing === undefined || existing.includes(HOOK_MARKER)) return undefined
  const shown = display(repoRoot, path)
  if (onExisting === 'refuse') {
    return `${shown} exists and was not written by sentra: nothing installed (install without --no-chain to run it before sentra's, or add \`sentra guard\` to it yourself)`
  }
  if (existsSync(path + CHAINED_SUFFIX)) {
    return `${shown} exists and was not written by sentra, and ${display(repoRoot, path + CHAINED_SUFFIX)} is taken too: nothing installed (merge the two, then install again)`
  }
  return undefined
}

function installInDir(repoRoot: string, dir: string, hook: HookName, script: string, onExisting: 'chain' | 'refuse'): HookAction {
  const path = join(dir, hook)
  const shown = display(repoRoot, path)
  const existing = readIfExists(path)
  if (existing === undefined) {
    writeHook(path, script)
    return { hook, path: shown, action: 'installed', message: `installed ${shown}` }
  }
  if (existing.includes(HOOK_MARKER)) {
    if (existing === script) return { hook, path: shown, action: 'unchanged', message: `${shown} is up to date` }
    writeHook(path, script)
    return { hook, path: shown, action: 'updated', message: `updated ${shown}` }
  }
  const chained = path + CHAINED_SUFFIX
  const problem = conflict(repoRoot, dir, hook, onExisting)
  if (problem) throw new HookConflictError(problem)
  renameSync(path, chained)
  writeHook(path, script)
  return { hook, path: shown, action: 'chained', message: `installed ${shown}; the hook that was there is now ${display(repoRoot, chained)} and runs first` }
}

/** The lines sentra adds to a husky script. */
function huskyBlock(hook: HookName, created: boolean): string {
  const command = hook === 'pre-push' ? 'sentra guard --pre-push "$@"' : 'sentra guard'
  return `${HUSKY_BEGIN}${created ? HUSKY_CREATED : ''}\n${command}\n${HUSKY_END}\n`
}

/** A husky v8 script starts with a shebang and sources husky.sh; v9 scripts are plain commands. */
const HUSKY_V8_HEADER = '#!/usr/bin/env sh\n. "$(dirname -- "$0")/_/husky.sh"\n'

function installHusky(repoRoot: string, husky: Husky, hook: HookName): HookAction {
  const path = join(husky.scriptsDir, hook)
  const shown = display(repoRoot, path)
  const existing = readIfExists(path)
  if (existing?.includes(HUSKY_BEGIN)) return { hook, path: shown, action: 'unchanged', message: `${shown} already runs sentra` }
  if (existing === undefined) {
    const header = husky.version === 8 ? HUSKY_V8_HEADER : ''
    writeHook(path, header + huskyBlock(hook, true))
    return { hook, path: shown, action: 'husky-added', message: `created ${shown} running sentra` }
  }
  // First, so that a pre-push script's earlier commands cannot consume the refs on stdin; after a
  // shebang and husky v8's `. husky.sh` line.
  const lines = existing.split('\n')
  let at = 0
  while (at < lines.length && (lines[at]!.startsWith('#!') || /husky\.sh/.test(lines[at]!))) at++
  lines.splice(at, 0, huskyBlock(hook, false).trimEnd())
  writeFileSync(path, lines.join('\n'))
  return { hook, path: shown, action: 'husky-added', message: `added sentra to ${shown}` }
}

function uninstallHusky(repoRoot: string, husky: Husky, hook: HookName): HookAction {
  const path = join(husky.scriptsDir, hook)
  const shown = display(repoRoot, path)
  const existing = readIfExists(path)
  const begin = existing?.indexOf(HUSKY_BEGIN) ?? -1
  if (existing === undefined || begin === -1) return { hook, path: shown, action: 'not-installed', message: `${shown} does not run sentra` }
  const endMarker = existing.indexOf(HUSKY_END, begin)
  const end = endMarker === -1 ? existing.length : existing.indexOf('\n', endMarker) === -1 ? existing.length : existing.indexOf('\n', endMarker) + 1
  const created = existing.slice(begin, existing.indexOf('\n', begin)).endsWith(HUSKY_CREATED)
  const rest = existing.slice(0, begin) + existing.slice(end)
  if (created && (rest === '' || rest === HUSKY_V8_HEADER)) {
    rmSync(path)
    return { hook, path: shown, action: 'husky-removed', message: `removed ${shown} (sentra had created it)` }
  }
  writeFileSync(path, rest)
  return { hook, path: shown, action: 'husky-removed', message: `removed sentra from ${shown}` }
}

function uninstallInDir(repoRoot: string, dir: string, hook: HookName): HookAction[] {
  const path = join(dir, hook)
  const shown = display(repoRoot, path)
  const existing = readIfExists(path)
  const chained = path + CHAINED_SUFFIX
  if (existing === undefined) return [{ hook, path: shown, action: 'not-installed', message: `no ${shown}` }]
  if (!existing.includes(HOOK_MARKER)) return [{ hook, path: shown, action: 'foreign', message: `${shown} was not written by sentra: left alone` }]
  rmSync(path)
  const actions: HookAction[] = [{ hook, path: shown, action: 'removed', message: `removed ${shown}` }]
  if (existsSync(chained)) {
    renameSync(chained, path)
    actions.push({ hook, path: shown, action: 'restored', message: `restored the hook that was there before (${display(repoRoot, chained)} -> ${shown})` })
  }
  return actions
}

/**
 * Makes git run `sentra guard` before every commit and merge commit (and, with `prePush`, before
 * every push). Respects where the repository keeps its hooks: with husky, sentra is added to
 * husky's scripts (`.husky/pre-commit`...); otherwise it writes into core.hooksPath or the git dir's
 * hooks/, moving a hook that is already there aside and running it first (or refusing, with
 * onExisting: 'refuse'). Running it again updates sentra's hooks in place. Returns what it did.
 */
export function installHooks(repoRoot: string, options: InstallOptions = {}): HookResult {
  const hooks: HookName[] = options.prePush ? [...ALL_HOOKS] : [...COMMIT_HOOKS]
  const husky = detectHusky(repoRoot)
  if (husky) {
    const actions = hooks.map((hook) => installHusky(repoRoot, husky, hook))
    return {
      mode: 'husky',
      dir: display(repoRoot, husky.scriptsDir),
      actions,
      notes: [
        `husky runs its scripts with node_modules/.bin on PATH: add sentra to the project's devDependencies so that \`sentra\` is found there (or install it globally).`,
        `Commit ${display(repoRoot, husky.scriptsDir)} so that everyone gets the hooks.`,
      ],
    }
  }
  const dir = hooksDir(repoRoot)
  const node = options.node ?? process.execPath
  const entry = options.entry ?? DEFAULT_ENTRY
  const onExisting = options.onExisting ?? 'chain'
  // Every conflict is found before anything is written: install does all or nothing.
  for (const hook of hooks) {
    const problem = conflict(repoRoot, dir, hook, onExisting)
    if (problem) throw new HookConflictError(problem)
  }
  mkdirSync(dir, { recursive: true })
  const actions = hooks.map((hook) => installInDir(repoRoot, dir, hook, hookScript(hook, node, entry), onExisting))
  const notes: string[] = []
  // Only a hooks directory in the tracked tree is shared with others; .git/hooks never is.
  const rel = relative(repoRoot, dir)
  const inTree = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && rel.split(/[\\/]/)[0] !== '.git'
  if (inTree) notes.push(`core.hooksPath is inside the work tree (${display(repoRoot, dir)}): the hooks written there name this machine's node and sentra, and fall back to \`sentra\` on PATH elsewhere.`)
  return { mode: 'hooks-dir', dir: display(repoRoot, dir), actions, notes }
}

/**
 * Reverses installHooks: removes sentra's hook files (only files carrying its marker) and puts back
 * the hooks they had chained, or removes sentra's lines from husky's scripts. Acts on all three
 * hooks whatever install was asked for.
 */
export function uninstallHooks(repoRoot: string): HookResult {
  const husky = detectHusky(repoRoot)
  if (husky) {
    return { mode: 'husky', dir: display(repoRoot, husky.scriptsDir), actions: ALL_HOOKS.map((hook) => uninstallHusky(repoRoot, husky, hook)), notes: [] }
  }
  const dir = hooksDir(repoRoot)
  return { mode: 'hooks-dir', dir: display(repoRoot, dir), actions: ALL_HOOKS.flatMap((hook) => uninstallInDir(repoRoot, dir, hook)), notes: [] }
}

/** One line per action, then the notes: what install or uninstall did, for people. */
export function describeHookResult(result: HookResult): string {
  const lines = result.actions.map((action) => `${action.hook}: ${action.message}`)
  if (result.actions.every((action) => action.action === 'not-installed')) lines.push('sentra hooks were not installed here: nothing to do.')
  for (const note of result.notes) lines.push(`note: ${note}`)
  return `${lines.join('\n')}\n`
}
