import { Flags } from '@oclif/core'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { EXIT_FINDINGS, UserError } from '../cli/errors.js'
import { writeFileAtomic } from '../cli/output.js'
import { CONFIG_PATH, loadConfigFile, type SentraConfig } from '../config/config.js'
import { HookConflictError, installHooks, type HookAction } from '../git/hooks.js'
import { findRepoRoot } from '../git/repo.js'
import { IGNORE_FILE, IGNORE_FILE_HEADER } from '../suppress/ignore-file.js'
import { managedAttributeLines, registerDrivers } from '../vault/values/git-setup.js'

/** What one step of `sentra init` did. */
interface Action {
  target: string
  action: 'created' | 'updated' | 'unchanged' | 'installed' | 'skipped'
  detail: string
}

/** A new repository's scanner config: every section present and empty, so it shows what can be set. */
const DEFAULT_CONFIG: SentraConfig = {
  version: 1,
  fixtures: [],
  allowlist: { paths: [], stopwords: [] },
  disabledRules: [],
  ruleOverrides: {},
  rules: [],
}

/**
 * Lines sentra needs in the repository's `.gitattributes` and `.gitignore`. Later features add
 * theirs here (e.g. merge drivers for encrypted files); each line is added once, never duplicated.
 */
export const GITATTRIBUTES_LINES = [
  // Signed ciphertext must reach the signature check byte for byte: no line-ending conversion, no
  // textual merge, no diff noise.
  '*.age binary',
  '*.age.sig binary',
]
export const GITIGNORE_LINES = [
  // What an interrupted atomic write leaves beside its target (`.NAME.<12 hex>.tmp`): for a decrypt,
  // plaintext, which a later `git add -A` must not pick up.
  '.*.????????????.tmp',
]

function ensureLines(root: string, file: string, lines: readonly string[], purpose: string): Action {
  const path = join(root, file)
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const present = new Set(existing.split(/\r?\n/).map((line) => line.trim()))
  const missing = lines.filter((line) => !present.has(line))
  if (missing.length === 0) return { target: file, action: 'unchanged', detail: 'already has the lines sentra needs' }
  let text = existing
  if (text.length > 0 && !text.endsWith('\n')) text += '\n'
  text += `${text.length > 0 ? '\n' : ''}# sentra: ${purpose}\n${missing.join('\n')}\n`
  writeFileAtomic(path, text)
  return { target: file, action: existing === '' ? 'created' : 'updated', detail: `added ${missing.join(', ')}` }
}

function ensureConfig(root: string): Action {
  const path = join(root, CONFIG_PATH)
  if (existsSync(path)) {
    // An existing config is the team's: check it loads, never rewrite it.
    loadConfigFile(path, CONFIG_PATH)
    return { target: CONFIG_PATH, action: 'unchanged', detail: 'exists and is valid (left as it is)' }
  }
  mkdirSync(dirname(path), { recursive: true })
  writeFileAtomic(path, `${JSON.stringify(DEFAULT_CONFIG, null, 2)}\n`)
  return { target: CONFIG_PATH, action: 'created', detail: 'scanner config with the defaults (see `sentra config validate`)' }
}

function ensureIgnoreFile(root: string): Action {
  const path = join(root, IGNORE_FILE)
  if (existsSync(path)) return { target: IGNORE_FILE, action: 'unchanged', detail: 'exists (left as it is)' }
  writeFileAtomic(path, IGNORE_FILE_HEADER)
  return { target: IGNORE_FILE, action: 'created', detail: 'empty ignore file, with its format explained' }
}

const HOOK_ACTION: Partial<Record<HookAction['action'], Action['action']>> = {
  installed: 'installed',
  chained: 'installed',
  'husky-added': 'installed',
  updated: 'updated',
  unchanged: 'unchanged',
}

function hookDetail(hook: HookAction): string {
  switch (hook.action) {
    case 'installed':
      return `runs \`sentra guard\` (${hook.hook})`
    case 'updated':
      return 'sentra\'s hook rewritten for this installation'
    case 'unchanged':
      return 'up to date'
    default:
      return hook.message
  }
}

/**
 * Installs the guard's git hooks as `sentra hook install` does (core.hooksPath, husky, chaining a
 * hook already in place). A hook that cannot be chained is reported, not fatal: the files above are
 * set up either way.
 */
function installGuardHooks(root: string, prePush: boolean): { actions: Action[]; notes: string[]; failed: boolean } {
  try {
    const result = installHooks(root, { prePush, onExisting: 'chain' })
    const actions = result.actions.map((hook): Action => ({ target: hook.path, action: HOOK_ACTION[hook.action] ?? 'unchanged', detail: hookDetail(hook) }))
    return { actions, notes: result.notes, failed: false }
  } catch (error) {
    if (!(error instanceof HookConflictError)) throw error
    return { actions: [{ target: 'git hooks', action: 'skipped', detail: error.message }], notes: [], failed: true }
  }
}

export default class Init extends SentraCommand {
  static override summary = 'Set up sentra in this repository (safe to re-run after every clone).'
  static override description = `One idempotent command that brings a clone to the state sentra expects, and says what it did:
- creates .sentra/config.json with the defaults (an existing config is checked, never rewritten);
- creates an empty .sentraignore that explains its format;
- adds the lines sentra needs to .gitattributes and .gitignore (each at most once);
- installs the guard as git hooks, as \`sentra hook install\` does (respecting core.hooksPath and
  husky; a hook already in place is kept and runs first), unless --no-hooks.
- registers sentra's git drivers for per-value encrypted files in this clone's git config: a diff
  textconv driver (decrypted diffs for members; never cachetextconv) and the merge driver
  \`sentra merge-driver %O %A %B %P\`, and marks the vault policy's per-value paths
  \`-text diff=sentra merge=sentra\` in .gitattributes.
Running it again changes nothing that is already in place. Exit 1 when a hook could not be
installed (the rest is still set up). Creating the team manifest is a
different job: \`sentra team init\`.`

  static override examples = [
    { command: '<%= config.bin %> init', description: 'Set up the repository you are in.' },
    { command: '<%= config.bin %> init --pre-push', description: 'Also guard every push.' },
    { command: '<%= config.bin %> init --no-hooks --json', description: 'Files only (e.g. in CI); report as JSON.' },
  ]

  static override flags = {
    hooks: Flags.boolean({ description: 'Install the git hooks (as `sentra hook install`).', allowNo: true, default: true }),
    'pre-push': Flags.boolean({ description: 'Also install the pre-push hook (scans the commits being pushed).' }),
    json: Flags.boolean({ description: 'Print what was done as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Init)
    const root = findRepoRoot(process.cwd())
    if (!root) throw new UserError('not inside a git repository: run `git init` (or clone) first')
    const actions: Action[] = [
      ensureConfig(root),
      ensureIgnoreFile(root),
      ensureLines(root, '.gitattributes', GITATTRIBUTES_LINES, 'encrypted files are opaque bytes'),
      ensureLines(root, '.gitignore', GITIGNORE_LINES, 'leftovers of interrupted writes (may hold decrypted plaintext)'),
    ]
    // Per-value encrypted files: git's diff and merge drivers, and the managed paths' attributes.
    const managed = managedAttributeLines(root)
    if (managed.lines.length > 0) actions.push(ensureLines(root, '.gitattributes', managed.lines, 'per-value encrypted files: no line-ending conversion, decrypted diffs, per-key merges'))
    actions.push(...registerDrivers(root))
    let notes: string[] = [...managed.notes]
    let failed = false
    if (flags.hooks) {
      const hooks = installGuardHooks(root, flags['pre-push'])
      actions.push(...hooks.actions)
      notes.push(...hooks.notes)
      failed = hooks.failed
    } else actions.push({ target: 'git hooks', action: 'skipped', detail: '--no-hooks' })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ root, actions, notes }, null, 2)}\n`)
      if (failed) this.exit(EXIT_FINDINGS)
      return
    }
    const width = Math.max(...actions.map((a) => a.action.length))
    const lines = actions.map((a) => `  ${a.action.padEnd(width)}  ${a.target}: ${a.detail}`)
    const changed = actions.some((a) => a.action === 'created' || a.action === 'updated' || a.action === 'installed')
    lines.unshift(changed ? `sentra set up in ${root}:` : `sentra is already set up in ${root}:`)
    lines.push(...notes.map((note) => `note: ${note}`))
    process.stdout.write(`${lines.join('\n')}\n`)
    if (failed) this.exit(EXIT_FINDINGS)
  }
}
