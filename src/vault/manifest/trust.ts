import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { gitSync } from '../../git/exec.js'
import { ManifestError, VaultError } from '../errors.js'
import { writeFileAtomic } from '../fs-atomic.js'
import { chainFromText, divergenceError, droppedEntriesText, readWorkingChain, relate, type Chain } from './chain.js'
import { MANIFEST_PATH } from './entry.js'
import type { TeamState } from './state.js'

/**
 * The manifest's trust anchor and rollback protection, kept outside the work tree under the git
 * common dir (shared by all worktrees of a clone):
 *  - `sentra/team-root`: the root hash pinned on first use (or by `team init`); CI passes
 *    SENTRA_TEAM_ROOT instead and never trusts on first use.
 *  - `sentra/team-known.jsonl`: the newest manifest verified on the default branch's upstream. A
 *    checkout may hold an older prefix (an old tag), but decisions use the newest known chain.
 */
export const TEAM_ROOT_ENV = 'SENTRA_TEAM_ROOT'

export type Purpose = 'read' | 'write' | 'verify'

export interface TrustOptions {
  repoRoot: string
  env?: NodeJS.ProcessEnv
  /** `--root`: overrides SENTRA_TEAM_ROOT. */
  expectedRoot?: string
  purpose: Purpose
  notice?: (message: string) => void
}

export interface TrustedTeam {
  /** The state every decision uses: the working chain, or the newer known one when the checkout is behind. */
  state: TeamState
  working: Chain
  known?: Chain
  upstreamRef?: string
  pinnedNow: boolean
}

const gitDirs = new Map<string, string>()

export function sentraGitDir(repoRoot: string): string {
  let dir = gitDirs.get(repoRoot)
  if (!dir) {
    const out = gitSync(['rev-parse', '--git-common-dir'], repoRoot).toString('utf8').trim()
    dir = join(isAbsolute(out) ? out : resolve(repoRoot, out), 'sentra')
    gitDirs.set(repoRoot, dir)
  }
  return dir
}

function rootPinPath(repoRoot: string): string {
  return join(sentraGitDir(repoRoot), 'team-root')
}

function knownChainPath(repoRoot: string): string {
  return join(sentraGitDir(repoRoot), 'team-known.jsonl')
}

export function readPinnedRoot(repoRoot: string): string | undefined {
  const path = rootPinPath(repoRoot)
  if (!existsSync(path)) return undefined
  const value = readFileSync(path, 'utf8').trim()
  if (!/^[0-9a-f]{64}$/.test(value)) throw new VaultError(`${path} is damaged: it should hold one 64-digit hex root hash`, 'trust')
  return value
}

export function pinRoot(repoRoot: string, root: string): void {
  mkdirSync(sentraGitDir(repoRoot), { recursive: true })
  writeFileAtomic(rootPinPath(repoRoot), `${root}\n`)
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

function normalizeRoot(value: string, origin: string): string {
  const root = value.trim().toLowerCase().replace(/^sha256:/, '')
  if (!/^[0-9a-f]{64}$/.test(root)) throw new VaultError(`${origin} must be the 64-digit hex root hash printed by \`sentra team init\``, 'usage')
  return root
}

/** The git ref of the default branch's upstream (origin/HEAD, else origin/main or origin/master), in one git call. */
export function defaultUpstreamRef(repoRoot: string): string | undefined {
  const refs = new Map<string, string>()
  const out = gitSync(['for-each-ref', '--format=%(refname) %(symref)', 'refs/remotes/origin/'], repoRoot).toString('utf8')
  for (const line of out.split('\n')) {
    const [name, target] = line.split(' ')
    if (name) refs.set(name, target ?? '')
  }
  const head = refs.get('refs/remotes/origin/HEAD')
  if (head && refs.has(head)) return head
  return ['refs/remotes/origin/main', 'refs/remotes/origin/master'].find((candidate) => refs.has(candidate))
}

/** The manifest committed at `ref`, or undefined when that commit has none. Errors if the ref is unknown. */
export function chainAtRef(repoRoot: string, ref: string): Chain | undefined {
  let text: string
  try {
    text = gitSync(['cat-file', 'blob', `${ref}:${MANIFEST_PATH}`], repoRoot).toString('utf8')
  } catch {
    try {
      gitSync(['rev-parse', '-q', '--verify', `${ref}^{commit}`], repoRoot)
    } catch {
      throw new VaultError(`unknown git revision: ${ref}`, 'usage')
    }
    return undefined
  }
  return chainFromText(text, `${ref}:${MANIFEST_PATH}`)
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/remotes\//, '').replace(/^refs\/heads\//, '')
}

function checkRoot(chain: Chain, root: string, origin: string): void {
  if (chain.state.root !== root) {
    throw new ManifestError(
      `${chain.source} starts from team root ${chain.state.root.slice(0, 16)}…, but ${origin} is ${root.slice(0, 16)}…: this is a different team's manifest (was .sentra/ replaced?). ` +
        `If the team really was re-created, check the new root with an admin, then delete the pin (${'`'}.git/sentra/team-root${'`'})`,
      'root-mismatch',
    )
  }
}

/**
 * Loads the working manifest and decides whether to trust it: root pinned or given, newest known
 * chain from the upstream, rollback and fork detection. Throws ManifestError on any problem.
 */
export function loadTrustedTeam(options: TrustOptions): TrustedTeam {
  const env = options.env ?? process.env
  const notice = options.notice ?? (() => {})
  const { repoRoot } = options
  const working = readWorkingChain(repoRoot)
  if (!working) throw new ManifestError(`no team manifest (${MANIFEST_PATH}) in this repository: an admin runs \`sentra team init\``, 'missing')

  const given = options.expectedRoot ?? (env[TEAM_ROOT_ENV] && env[TEAM_ROOT_ENV] !== '' ? env[TEAM_ROOT_ENV] : undefined)
  const expected = given ? normalizeRoot(given, options.expectedRoot ? '--root' : TEAM_ROOT_ENV) : undefined
  const pinned = readPinnedRoot(repoRoot)
  if (expected) checkRoot(working, expected, options.expectedRoot ? 'the root given with --root' : `${TEAM_ROOT_ENV}`)
  if (pinned) checkRoot(working, pinned, 'the root pinned for this clone')
  let pinnedNow = false
  if (!expected && !pinned) {
    if (isCI(env)) {
      throw new ManifestError(
        `CI=true and no team root is pinned: set ${TEAM_ROOT_ENV} to the root hash printed by \`sentra team init\` (or pass \`sentra verify --root\`); sentra does not trust a manifest on first use in CI`,
        'no-root-pin',
      )
    }
    pinRoot(repoRoot, working.state.root)
    pinnedNow = true
    notice(`pinned this team's root ${working.state.root} on first use; check it against the one \`sentra team init\` printed (an admin has it)`)
  } else if (expected && !pinned && !isCI(env)) {
    pinRoot(repoRoot, expected)
  }
  const root = working.state.root

  // Newest known chain: the stored one, advanced by the default branch's upstream when it extends it.
  let known = readKnownChain(repoRoot)
  if (known) checkRoot(known, root, 'the manifest this clone verified before')
  const upstreamRef = defaultUpstreamRef(repoRoot)
  if (upstreamRef) {
    const upstream = chainAtRef(repoRoot, upstreamRef)
    if (upstream) {
      checkRoot(upstream, root, 'this clone\'s team root')
      const relation = known ? relate(upstream, known) : { kind: 'extends' as const, added: upstream.lines.length }
      if (relation.kind === 'extends' || !known) {
        known = upstream
        mkdirSync(sentraGitDir(repoRoot), { recursive: true })
        writeFileAtomic(knownChainPath(repoRoot), upstream.text)
      } else if (relation.kind === 'behind') {
        notice(`${shortRef(upstreamRef)}'s team manifest ends at entry #${upstream.lines.length - 1}, older than the newest this clone verified (#${known.lines.length - 1}): using the newest`)
      } else if (relation.kind === 'diverged') {
        throw new ManifestError(
          `${shortRef(upstreamRef)}'s team manifest differs from the one this clone verified before, from entry #${relation.at} on: its history was rewritten. Ask an admin before trusting it`,
          'diverged',
        )
      }
    }
  }

  let state = working.state
  if (known) {
    const relation = relate(working, known)
    const knownName = upstreamRef ? shortRef(upstreamRef) : 'the newest manifest this clone verified'
    if (relation.kind === 'behind') {
      if (options.purpose === 'write') {
        throw new ManifestError(
          `this checkout's team manifest ends at entry #${working.lines.length - 1}, but ${knownName} has entries up to #${known.lines.length - 1} [${droppedEntriesText(known, working.lines.length)}]: update it first (git pull, or git checkout ${knownName} -- ${MANIFEST_PATH})`,
          'rollback',
        )
      }
      notice(`this checkout's team manifest is older than ${knownName}'s (entry #${working.lines.length - 1} vs #${known.lines.length - 1}): applying the newest, with its removals`)
      state = known.state
    } else if (relation.kind === 'diverged') {
      throw divergenceError(working, known, relation.at, knownName)
    }
  }
  return { state, working, ...(known ? { known } : {}), ...(upstreamRef ? { upstreamRef } : {}), pinnedNow }
}

function readKnownChain(repoRoot: string): Chain | undefined {
  const path = knownChainPath(repoRoot)
  if (!existsSync(path)) return undefined
  try {
    return chainFromText(readFileSync(path, 'utf8'), path)
  } catch (error) {
    throw new VaultError(`the manifest this clone recorded (${path}) is damaged: ${(error as Error).message}. Delete it to start over from the upstream`, 'trust')
  }
}

/** `verify --base REF`: the working manifest must extend the one at REF (a change may only append). */
export function checkExtendsBase(repoRoot: string, working: Chain, ref: string): void {
  const base = chainAtRef(repoRoot, ref)
  if (!base) return
  checkRoot(working, base.state.root, `${ref}'s team root`)
  const relation = relate(working, base)
  if (relation.kind === 'behind') {
    throw new ManifestError(
      `the team manifest of this change does not extend ${ref}'s: it drops entries #${working.lines.length}–#${base.lines.length - 1} [${droppedEntriesText(base, working.lines.length)}]. A change may only append to the manifest`,
      'not-extending-base',
    )
  }
  if (relation.kind === 'diverged') throw divergenceError(working, base, relation.at, ref)
}
