import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { GitError, gitSync } from '../../git/exec.js'
import { decryptAge } from '../age.js'
import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import { MANIFEST_PATH, type Operation } from '../manifest/entry.js'
import { isRemovedRecipient, type TeamState } from '../manifest/state.js'
import { loadTrustedTeam } from '../manifest/trust.js'
import type { Signer } from '../requests.js'
import { prepareOperation } from '../team.js'
import { checkValuesFile } from '../values/ops.js'
import { readValuesFile, resignValuesFile, rewrapValues, rotateValues, decryptValues, unwrapDek } from '../values/values-file.js'
import { SIGNATURE_SUFFIX, checkWholeFileSignature, sealWholeFile, signWholeFile } from '../whole-file.js'
import { listEncryptedFiles, type EncryptedFile } from './files.js'
import { commitChange, recoverPendingChange, type StagedWrite } from './journal.js'
import { blockers, planFiles, whoCanFinish, type FileAction, type FilePlan } from './plan.js'

/** Where a change happens and how it talks to the user. */
export interface ChangeContext {
  repoRoot: string
  env: NodeJS.ProcessEnv
  notice: (message: string) => void
  warn: (message: string) => void
}

export interface AccessChangeOptions extends ChangeContext {
  /** Signs the manifest entry: an admin's key (for a self rekey, the member's old key). */
  manifestSigner: Signer
  /** Unwraps data keys and decrypts whole files: usually the same key. */
  reader: KeyHandle
  /** Signs the rewritten files: usually the same key (for a self rekey, the new one). */
  fileSigner: Signer
  /** Builds the manifest operation from the trusted state; none for `sentra rotate`. */
  buildOp?: (state: TeamState) => Operation
  /** Repo paths (globs) to rotate whatever the plan says, or every encrypted file. */
  forceRotate?: readonly string[] | 'all'
  /** Limit the files considered (sentra rotate PATHS); default every encrypted file. */
  paths?: readonly string[]
  /** The command as the user re-runs it ("sentra team remove bob"): the journal names it. */
  command: string
  /** Repo files to delete in the same change (an approved access request). */
  removeFiles?: readonly string[]
  /** Commit the staged change with this message. */
  commitMessage?: string
}

export interface ChangedFile {
  path: string
  kind: EncryptedFile['kind']
  action: FileAction
  dropped: string[]
  added: string[]
}

export interface AccessChangeResult {
  before: TeamState
  after: TeamState
  /** Files rewritten, with what was done. */
  files: ChangedFile[]
  /** Encrypted files as they were before the change (for the exposure report). */
  filesBefore: EncryptedFile[]
  /** Paths given to git add. */
  staged: string[]
  committed?: string
  /** True when this run only completed the same command's interrupted run. */
  resumed: boolean
}

/**
 * One access change, all or nothing: the signed manifest entry and every file it affects. Nothing is
 * written until every affected file has verified and been rewritten in memory; then the transaction
 * in journal.ts puts them in place. The change is staged in git, and committed on request.
 */
export async function changeAccess(options: AccessChangeOptions): Promise<AccessChangeResult> {
  const { repoRoot, env, notice } = options
  const recovered = recoverPendingChange(repoRoot, env)
  if (recovered.outcome === 'rolled-back') notice(`rolled back an interrupted ${recovered.command ? `\`${recovered.command}\`` : 'access change'} (it had changed nothing yet)`)
  if (recovered.outcome === 'completed') {
    notice(`completed the interrupted \`${recovered.command}\``)
    const staged = stageInGit(repoRoot, recovered.paths, options.warn)
    if (recovered.command === options.command) {
      const state = loadTrustedTeam({ repoRoot, env, purpose: 'read', notice }).state
      const committed = options.commitMessage ? commitInGit(repoRoot, staged, options.commitMessage) : undefined
      return { before: state, after: state, files: [], filesBefore: [], staged, ...(committed ? { committed } : {}), resumed: true }
    }
  }

  let before: TeamState
  let after: TeamState
  let manifestText: string | undefined
  if (options.buildOp) {
    const prepared = await prepareOperation({ repoRoot, env, notice, signer: options.manifestSigner }, options.buildOp)
    before = prepared.before
    after = prepared.chain.state
    manifestText = prepared.text
  } else {
    before = after = loadTrustedTeam({ repoRoot, env, purpose: 'write', notice }).state
  }

  const filesBefore = listEncryptedFiles(repoRoot, before, options.paths ?? [])
  const broken = filesBefore.filter((file) => file.problem !== undefined)
  if (broken.length > 0) {
    throw new VaultError(`cannot change access while encrypted files are damaged (nothing was changed): ${broken.map((file) => file.problem).join('; ')}`, 'access-broken-file')
  }
  const plans = planFiles(after, filesBefore, options.forceRotate ?? [])
  for (const plan of plans) verifyBefore(before, repoRoot, plan)
  const blocked = blockers(after, plans, options.reader.recipient, options.fileSigner.signingKey)
  if (blocked.length > 0) throw cannotFinish(after, plans, blocked, options)
  for (const plan of plans) {
    const removed = plan.recipients.filter((recipient) => isRemovedRecipient(after, recipient))
    if (removed.length > 0) throw new VaultError(`refusing to encrypt ${plan.file.path} to removed key(s) ${removed.join(', ')}`, 'removed-recipient')
  }

  const writes: StagedWrite[] = []
  for (const plan of plans) writes.push(...(await rewrite(repoRoot, after, plan, options)))
  if (manifestText !== undefined) writes.push({ path: MANIFEST_PATH, data: manifestText })
  commitChange(repoRoot, options.command, writes, env)
  for (const path of options.removeFiles ?? []) rmSync(join(repoRoot, path), { force: true })

  const staged = stageInGit(repoRoot, [...writes.map((write) => write.path), ...(options.removeFiles ?? [])], options.warn)
  const committed = options.commitMessage ? commitInGit(repoRoot, staged, options.commitMessage) : undefined
  return {
    before,
    after,
    files: plans.map((plan) => ({ path: plan.file.path, kind: plan.file.kind, action: plan.action, dropped: plan.dropped, added: plan.added })),
    filesBefore,
    staged,
    ...(committed ? { committed } : {}),
    resumed: false,
  }
}

/** A file is rewritten only if it verifies under the team as it was: sentra never re-signs what nobody vouched for. */
function verifyBefore(before: TeamState, repoRoot: string, plan: FilePlan): void {
  const { file } = plan
  const absolute = join(repoRoot, file.path)
  const problems =
    file.kind === 'values'
      ? checkValuesFile(before, file.path, readFileSync(absolute, 'utf8'), file.format as Exclude<EncryptedFile['format'], 'binary'>).problems
      : checkWholeFileSignature(before, file.path, new Uint8Array(readFileSync(absolute)), readFileSync(absolute + SIGNATURE_SUFFIX, 'utf8')).problems
  if (problems.length > 0) {
    throw new VaultError(`cannot change access: ${problems[0]} (nothing was changed; \`sentra verify\` lists every problem)`, 'access-unverified')
  }
}

function cannotFinish(after: TeamState, plans: readonly FilePlan[], blocked: Array<{ path: string; reason: string }>, options: AccessChangeOptions): VaultError {
  const shown = blocked.slice(0, 5).map((entry) => `${entry.path} (${entry.reason})`)
  const more = blocked.length > shown.length ? ` and ${blocked.length - shown.length} more` : ''
  const blockedFiles = plans.filter((plan) => blocked.some((entry) => entry.path === plan.file.path)).map((plan) => plan.file)
  const candidates = whoCanFinish(after, blockedFiles).filter((name) => !options.buildOp || name.endsWith('(admin)'))
  const who = candidates.length > 0 ? `${candidates.join(', ')} can do it: ask them to run \`${options.command}\`` : 'no single member can read and write all of them: split the change, or have each file rotated by someone who can read it'
  return new VaultError(`nothing was changed: this change must rewrite ${plans.length} file(s), and you cannot rewrite ${shown.join(', ')}${more}. ${who}`, 'access-cannot-finish')
}

async function rewrite(repoRoot: string, after: TeamState, plan: FilePlan, options: AccessChangeOptions): Promise<StagedWrite[]> {
  const { file } = plan
  const absolute = join(repoRoot, file.path)
  const signer = options.fileSigner
  if (file.kind === 'values') {
    const values = readValuesFile(readFileSync(absolute, 'utf8'), file.format as Exclude<EncryptedFile['format'], 'binary'>)
    const meta = values.meta!
    if (plan.action === 'resign') return [{ path: file.path, data: await resignValuesFile(values, { path: file.path, signer }) }]
    const dek = await unwrapDek(meta, options.reader, file.path)
    if (plan.action === 'rewrap') return [{ path: file.path, data: await rewrapValues(values, dek, { path: file.path, signer, recipients: plan.recipients }) }]
    const clear = decryptValues(values, dek)
    return [{ path: file.path, data: await rotateValues(values, clear, { path: file.path, plain: meta.plain, recipients: plan.recipients, signer }) }]
  }
  const ciphertext = new Uint8Array(readFileSync(absolute))
  const oneOff = (file.oneOff ?? []).filter((recipient) => plan.recipients.includes(recipient))
  if (plan.action === 'resign') {
    return [{ path: file.path + SIGNATURE_SUFFIX, data: await signWholeFile(file.path, ciphertext, file.recipients, oneOff, signer) }]
  }
  // age has no re-wrap: a whole file always gets a fresh file key, which also makes it a rotation.
  const plaintext = await decryptAge(ciphertext, options.reader.decryptKeys())
  const sealed = await sealWholeFile({ state: after, signer, agePath: file.path, plaintext, oneOff })
  return [
    { path: file.path, data: sealed.ciphertext },
    { path: file.path + SIGNATURE_SUFFIX, data: sealed.signatureText },
  ]
}

function stageInGit(repoRoot: string, paths: readonly string[], warn: (message: string) => void): string[] {
  const present = [...new Set(paths)].filter((path) => existsSync(join(repoRoot, path)) || isTracked(repoRoot, path))
  if (present.length === 0) return []
  try {
    gitSync(['add', '-A', '--', ...present], repoRoot)
  } catch (error) {
    warn(`the change is applied but \`git add\` failed: ${error instanceof GitError ? error.message : String(error)}`)
    return []
  }
  return present
}

function isTracked(repoRoot: string, path: string): boolean {
  return gitSync(['ls-files', '-z', '--', path], repoRoot).length > 0
}

function commitInGit(repoRoot: string, paths: readonly string[], message: string): string {
  if (paths.length === 0) throw new VaultError('nothing to commit', 'usage')
  try {
    gitSync(['commit', '-q', '-m', message, '--', ...paths], repoRoot)
  } catch (error) {
    throw new VaultError(`the change is applied and staged, but \`git commit\` failed: ${error instanceof GitError ? error.message : String(error)}`, 'git-commit')
  }
  return gitSync(['rev-parse', 'HEAD'], repoRoot).toString('utf8').trim()
}
