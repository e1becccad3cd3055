import { existsSync, readFileSync } from 'node:fs'
import { gitSync } from '../../git/exec.js'
import { normalizeRepoPath } from '../encoding.js'
import { VaultError } from '../errors.js'
import { writeFileAtomic } from '../fs-atomic.js'
import type { KeyHandle } from '../keystore/index.js'
import type { Chain } from '../manifest/chain.js'
import { canWritePath, type TeamState } from '../manifest/state.js'
import { chainAtRef, readPinnedRoot } from '../manifest/trust.js'
import { mergeValues } from './merge.js'
import { formatForPath, isValuesFormat } from './ops.js'
import { readValuesFile, signValuesFile, signatureVerifies, type ValuesFile } from './values-file.js'

/**
 * `sentra merge-driver %O %A %B %P`, as git calls it: verifies the three versions against the team
 * manifests of both sides, merges per key without any key when both sides share a DEK, and signs
 * the result with the merger's key. Writes the result over %A; the returned code is what git expects
 * (0 merged, 1 conflict). Every refusal leaves %A as ours and says how to resolve.
 */
export interface DriverOptions {
  repoRoot: string
  base: string
  ours: string
  theirs: string
  path: string
  /** Opens the merger's key without prompting; throws when none is available. */
  openKey: () => Promise<KeyHandle>
  log: (message: string) => void
}

const OTHER_HEADS = ['MERGE_HEAD', 'REBASE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD']

function readOptional(file: string): string | undefined {
  if (!existsSync(file)) return undefined
  const text = readFileSync(file, 'utf8')
  return text === '' ? undefined : text
}

function revision(repoRoot: string, name: string): string | undefined {
  try {
    return gitSync(['rev-parse', '-q', '--verify', `${name}^{commit}`], repoRoot).toString('utf8').trim()
  } catch {
    return undefined
  }
}

/** The manifests of HEAD and of the other side (git may merge the file before .sentra/team.jsonl), checked against the pinned root. */
export function sideStates(repoRoot: string): { ours?: TeamState; theirs?: TeamState; other?: string } {
  const pinned = readPinnedRoot(repoRoot)
  const load = (ref: string): TeamState | undefined => {
    let chain: Chain | undefined
    try {
      chain = chainAtRef(repoRoot, ref)
    } catch {
      return undefined
    }
    if (!chain) return undefined
    if (pinned && chain.state.root !== pinned) throw new VaultError(`${ref}'s team manifest has another root than the one pinned for this clone: refusing to merge with it`, 'merge')
    return chain.state
  }
  const other = OTHER_HEADS.find((name) => revision(repoRoot, name) !== undefined)
  const ours = load('HEAD')
  const theirs = other ? load(other) : undefined
  if (ours && theirs && ours.root !== theirs.root) throw new VaultError('the two sides have team manifests with different roots: refusing to merge', 'merge')
  return { ...(ours ? { ours } : {}), ...(theirs ? { theirs } : {}), ...(other ? { other } : {}) }
}

function signedBy(states: TeamState[], file: ValuesFile, path: string): boolean {
  if (!file.meta || file.meta.path !== path || !signatureVerifies(file, path)) return false
  return states.some((state) => canWritePath(state, file.meta!.signer, path).ok)
}

const RESOLVE = (path: string) =>
  `resolve it: keep one side (\`git checkout --ours ${path}\` or \`--theirs\`), re-apply the other side's changes with \`sentra set\` or \`sentra edit\`, then \`git add ${path}\``

export async function runMergeDriver(options: DriverOptions): Promise<number> {
  const path = normalizeRepoPath(options.path)
  const { log } = options
  const oursText = readFileSync(options.ours, 'utf8')
  const theirsText = readFileSync(options.theirs, 'utf8')
  const baseText = readOptional(options.base)
  const states = sideStates(options.repoRoot)
  const anyState = states.ours ?? states.theirs
  if (!anyState) {
    log(`sentra: ${path}: no team manifest on either side: leaving a conflict`)
    return 1
  }
  const format = formatForPath(anyState, path)
  if (!isValuesFormat(format)) {
    log(`sentra: ${path} is not a per-value file: leaving a conflict`)
    return 1
  }
  let ours: ValuesFile
  let theirs: ValuesFile
  try {
    ours = readValuesFile(oursText, format)
    theirs = readValuesFile(theirsText, format)
  } catch (error) {
    log(`sentra: ${path}: cannot merge: ${(error as Error).message}. ${RESOLVE(path)}`)
    return 1
  }
  if (!ours.meta || !theirs.meta) return textMerge(options, log, path)
  const oursStates = [states.ours ?? anyState]
  const theirsStates = [states.theirs ?? states.ours ?? anyState]
  if (!signedBy(oursStates, ours, path)) {
    log(`sentra: ${path}: our version is not validly signed by a team member allowed to write it: refusing to merge. Check it with \`sentra verify ${path}\`; ${RESOLVE(path)}`)
    return 1
  }
  if (!signedBy(theirsStates, theirs, path)) {
    log(`sentra: ${path}: the version being merged in (${states.other ?? 'theirs'}) is not validly signed by a team member allowed to write it: refusing to merge it. ${RESOLVE(path)}`)
    return 1
  }
  let base: ValuesFile | undefined
  if (baseText !== undefined) {
    try {
      const parsed = readValuesFile(baseText, format)
      // A base nobody vouches for is not used: every difference becomes a conflict instead.
      if (signedBy([...oursStates, ...theirsStates], parsed, path)) base = parsed
      else log(`sentra: ${path}: the common ancestor's signature does not verify: merging without it (more conflicts)`)
    } catch {
      base = undefined
    }
  }
  const outcome = mergeValues(base, ours, theirs, format)
  if (outcome.kind === 'refused') {
    log(`sentra: ${path}: cannot merge: ${outcome.reason}. ${RESOLVE(path)} (take the side with the new data key, usually the rotated one)`)
    return 1
  }
  if (outcome.kind === 'conflict' && outcome.body === undefined) {
    log(`sentra: ${path}: conflict: ${outcome.reason}. ${RESOLVE(path)}`)
    return 1
  }
  let key: KeyHandle
  try {
    key = await options.openKey()
  } catch (error) {
    log(`sentra: ${path}: the merge needs your signature but no key is unlocked (${(error as Error).message}): run \`sentra unlock\`, then redo the merge (\`git checkout -m ${path}\` and \`git merge\` again), or ${RESOLVE(path).replace(/^resolve it: /, '')}`)
    return 1
  }
  const allowed = [states.ours, states.theirs].filter((state): state is TeamState => state !== undefined).some((state) => canWritePath(state, key.signingKey, path).ok)
  if (!allowed) {
    log(`sentra: ${path}: you may not write this path, so you cannot sign the merge: leaving a conflict for someone who may (${RESOLVE(path)})`)
    return 1
  }
  const text = await signValuesFile({ body: outcome.body!, format, path, id: outcome.id, commit: outcome.commit, plain: outcome.plain, recipients: outcome.recipients, signer: key })
  writeFileAtomic(options.ours, text)
  if (outcome.kind === 'conflict') {
    log(`sentra: ${path}: ${outcome.keys.join(', ')} changed on both sides: the merged file keeps our value for ${outcome.keys.length === 1 ? 'it' : 'them'} (every other change is merged). Set the right value with \`sentra set ${path} KEY\` or \`sentra edit ${path}\`, then \`git add ${path}\``)
    return 1
  }
  return 0
}

/** Neither side is encrypted: an ordinary text merge, as git would do without the driver. */
function textMerge(options: DriverOptions, log: (message: string) => void, path: string): number {
  const result = spawnMerge(options)
  if (result > 0) log(`sentra: ${path}: not encrypted on both sides: merged as text, with conflicts`)
  return result > 0 ? 1 : 0
}

function spawnMerge(options: DriverOptions): number {
  try {
    gitSync(['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', options.ours, existsSync(options.base) ? options.base : '/dev/null', options.theirs], options.repoRoot)
    return 0
  } catch (error) {
    const status = (error as { status?: number | null }).status
    return typeof status === 'number' && status > 0 ? status : 1
  }
}
