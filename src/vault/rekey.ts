import { randomBytes } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { changeAccess, type AccessChangeResult, type ChangeContext } from './access/change.js'
import { pendingChange } from './access/journal.js'
import { agentStatus, stopAgent } from './agent/client.js'
import { decryptAge, encryptToRecipients } from './age.js'
import { VaultError } from './errors.js'
import { PRIVATE_FILE_MODE, writeFileAtomic } from './fs-atomic.js'
import { AgeIdentity, parseIdentityFile } from './identity.js'
import { readImport, writeBackup } from './keygen.js'
import { LocalKey, openStoredIdentity, type KeyHandle, type KeySource } from './keystore/index.js'
import { saveToKeyring } from './keystore/keyring.js'
import { saveToPassphraseFile } from './keystore/passphrase-file.js'
import { readKeystoreRecord, writeKeystoreRecord, type StoreKind } from './keystore/paths.js'
import { plaintextWarning, saveToPlaintextFile } from './keystore/plaintext-file.js'
import { activeDevices, isAdmin, ownerOfRecipient, ownerOfSigningKey, type TeamState } from './manifest/state.js'
import { readWorkingChain } from './manifest/chain.js'
import { loadTrustedTeam, sentraGitDir } from './manifest/trust.js'
import type { PassphraseReader } from './passphrase.js'
import { createRekeyEndorsement } from './rekey-endorsement.js'
import { REQUESTS_DIR, createRequest, readRequestFile, requestPath } from './requests.js'

/*
 * `sentra team rekey`: a member replaces one device key (signed by the old key), or an admin replaces
 * a member's lost key. The endorsement itself lives in rekey-endorsement.ts (the manifest replay
 * checks it); here is the local side: where the new identity is kept while the team changes, how it
 * replaces the old one in the store the old one came from, and the two flows around the access engine.
 */
export { createRekeyEndorsement, rekeyEndorsementBody, verifyRekeyEndorsement } from './rekey-endorsement.js'

// ---------------------------------------------------------------------------------------------------
// The new identity on this device

/** Where this device's current key came from, as far as replacing it is concerned. */
export type KeyOrigin =
  /** Stored by `sentra keygen` (possibly unlocked into the agent): sentra replaces it in the same store. */
  | { kind: 'store'; store: StoreKind }
  /** SENTRA_IDENTITY / SENTRA_IDENTITY_FILE: sentra cannot change the environment. */
  | { kind: 'env'; source: 'env' | 'env-file' }

/**
 * Works out where the key in use came from. A key from the agent came from the store recorded by
 * keygen (`sentra unlock` reads it there); if that record names another key, the agent and the store
 * disagree and replacing "the" key would be a guess.
 */
export function keyOrigin(key: Pick<KeyHandle, 'recipient' | 'source'>, env: NodeJS.ProcessEnv): KeyOrigin {
  const source: KeySource = key.source
  if (source === 'env' || source === 'env-file') return { kind: 'env', source }
  const record = readKeystoreRecord(env)
  if (!record) throw new VaultError('this device has no stored key record (sentra keygen): cannot tell where to store the new key', 'keystore')
  if (record.recipient !== key.recipient) {
    throw new VaultError(
      `the running agent holds ${key.recipient}, but this device's stored key is ${record.recipient}: run \`sentra lock\` and try again`,
      'keystore',
    )
  }
  return { kind: 'store', store: record.store }
}

/**
 * The new identity, kept under the clone's git dir (`<git-common-dir>/sentra/rekey-pending.json`,
 * 0600) from before the manifest changes until the new key is stored. The identity in it is an age
 * file encrypted to the OLD key: the old key is exactly what this device still holds if it crashes
 * before the new one is stored, so the pending copy adds no plaintext key on disk and needs no extra
 * passphrase, yet is never lost.
 */
export interface PendingRekey {
  v: 1
  name: string
  old: string
  recipient: string
  signingKey: string
  created: string
  /** Armored age file, to `old`, holding the new identity file. */
  sealed: string
}

export function pendingRekeyPath(sentraGitDir: string): string {
  return `${sentraGitDir}/rekey-pending.json`
}

export async function writePendingRekey(path: string, name: string, oldRecipient: string, identity: AgeIdentity): Promise<PendingRekey> {
  const sealed = await encryptToRecipients(new TextEncoder().encode(identity.toIdentityFile()), [oldRecipient], { armor: true })
  const pending: PendingRekey = {
    v: 1,
    name,
    old: oldRecipient,
    recipient: identity.recipient,
    signingKey: identity.signingPublicKey,
    created: new Date().toISOString(),
    sealed: new TextDecoder().decode(sealed),
  }
  mkdirSync(dirname(path), { recursive: true })
  writeFileAtomic(path, `${JSON.stringify(pending, null, 2)}\n`, PRIVATE_FILE_MODE)
  return pending
}

export function readPendingRekey(path: string): PendingRekey | undefined {
  if (!existsSync(path)) return undefined
  let value: Partial<PendingRekey>
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as Partial<PendingRekey>
  } catch {
    throw new VaultError(`${path} is damaged (not JSON): if no rekey is under way, delete it`, 'rekey-pending')
  }
  if (value.v !== 1 || typeof value.sealed !== 'string' || typeof value.old !== 'string' || typeof value.recipient !== 'string' || typeof value.name !== 'string') {
    throw new VaultError(`${path} is not a pending rekey: if no rekey is under way, delete it`, 'rekey-pending')
  }
  return value as PendingRekey
}

/** Opens the pending new identity with the old key (which may sit in the agent). */
export async function openPendingRekey(pending: PendingRekey, oldKey: KeyHandle, path: string): Promise<AgeIdentity> {
  let plaintext: Uint8Array
  try {
    plaintext = await decryptAge(new TextEncoder().encode(pending.sealed), oldKey.decryptKeys())
  } catch {
    throw new VaultError(`${path} holds a new key for ${pending.old}, which this key (${oldKey.recipient}) cannot open`, 'rekey-pending')
  }
  const identity = parseIdentityFile(new TextDecoder().decode(plaintext), path)
  if (identity.recipient !== pending.recipient) throw new VaultError(`${path} is damaged: the key in it is not ${pending.recipient}`, 'rekey-pending')
  return identity
}

export function removePendingRekey(path: string): void {
  rmSync(path, { force: true })
}

/**
 * Writes an identity file for the user to point SENTRA_IDENTITY_FILE at: 0600, complete or absent
 * (written aside, then hard-linked into place, which fails instead of replacing an existing file).
 */
export function writeNewIdentityFile(path: string, identity: AgeIdentity): void {
  const exists = () => newIdentityFileExists(path)
  if (existsSync(path)) throw exists()
  mkdirSync(dirname(path), { recursive: true })
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  writeFileAtomic(temp, identity.toIdentityFile(), PRIVATE_FILE_MODE)
  try {
    linkSync(temp, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists()
    throw error
  } finally {
    rmSync(temp, { force: true })
  }
}

function newIdentityFileExists(path: string): VaultError {
  return new VaultError(`${path} already exists: sentra never overwrites a key file; choose a new file for the new key`, 'usage')
}

export interface ReplaceOptions {
  env: NodeJS.ProcessEnv
  passphrases: PassphraseReader
  warn: (message: string) => void
  /** For the passphrase file: the passphrase asked for before the team changed (see askNewPassphrase). */
  passphrase?: string
}

/** For a passphrase-file store: ask for the new key's passphrase, as keygen does (asked once, confirmed on a terminal). */
export async function askNewPassphrase(store: StoreKind, passphrases: PassphraseReader): Promise<string | undefined> {
  if (store !== 'file') return undefined
  return passphrases.read('New passphrase for your new key file: ', { confirm: true })
}

/**
 * Stores `identity` in place of the old key, in the same kind of store, and updates keygen's record.
 * Returns a description of where it went. The plaintext store is only ever reused, never chosen.
 */
export async function replaceStoredIdentity(identity: AgeIdentity, store: StoreKind, options: ReplaceOptions): Promise<string> {
  let location: string
  switch (store) {
    case 'keyring':
      await saveToKeyring(identity)
      location = 'the OS credential store'
      break
    case 'file': {
      const passphrase = options.passphrase ?? (await askNewPassphrase(store, options.passphrases))!
      location = await saveToPassphraseFile(identity, passphrase, options.env)
      break
    }
    case 'plaintext':
      location = saveToPlaintextFile(identity, options.env)
      options.warn(plaintextWarning(location))
      break
  }
  writeKeystoreRecord({ version: 1, store, recipient: identity.recipient, signingKey: identity.signingPublicKey, created: new Date().toISOString() }, options.env)
  return location
}

/** The running agent, when it holds `recipient`: stopped, since it would keep serving the old key. */
export async function stopAgentHolding(recipient: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const status = await agentStatus(env)
  if (!status || status.recipient !== recipient) return false
  return stopAgent(env)
}

// ---------------------------------------------------------------------------------------------------
// The two rekeys, as `sentra team rekey` runs them

/** The command as the journal records it: re-running it finishes an interrupted rekey. */
export const SELF_REKEY_COMMAND = 'sentra team rekey'

export interface SelfRekeyOptions extends ChangeContext {
  passphrases: PassphraseReader
  /** This device's current key (old): signs the entry and the endorsement, and reads the files. */
  oldKey: KeyHandle
  /** --new-identity: an age identity file (plain, or a sentra passphrase backup) to use as the new key. */
  newIdentityFile?: string
  /** --new-identity-out: where to write the new key when the old one came from the environment. */
  newIdentityOut?: string
  /** --backup-old: a passphrase-protected copy of the old key. */
  backupOld?: string
  /** --commit: commit the change (with selfRekeyCommitMessage). */
  commit?: boolean
}

export function selfRekeyCommitMessage(name: string): string {
  return `sentra: rekey ${name}'s device and rotate what the old key could read`
}

export type StoredNewKey =
  | { kind: 'store'; store: StoreKind; location: string }
  | { kind: 'env'; variable: 'SENTRA_IDENTITY' | 'SENTRA_IDENTITY_FILE'; path: string }

export interface SelfRekeyResult {
  name: string
  old: string
  recipient: string
  signingKey: string
  /** The access change; undefined when an interrupted rekey had already changed the team. */
  change?: AccessChangeResult
  /** Where the new key went; undefined only when an earlier run had already stored it. */
  stored?: StoredNewKey
  backup?: string
  agentStopped: boolean
  /** The run finished an interrupted rekey (same new key). */
  resumed: boolean
  /** An interrupted rekey had done everything but remove its pending copy: this run only cleaned up. */
  alreadyComplete?: boolean
}

/**
 * A member replaces the key of this device. The order is what keeps the new key from ever being lost
 * and the old one from being replaced too early:
 *  1. every check and question first (backup passphrase, new key-file passphrase), so nothing has
 *     changed if one fails; the optional backup of the old key is written here;
 *  2. the new key is written durably BEFORE the team changes: to the pending file under the git dir
 *     (encrypted to the old key), and, for an environment key, to --new-identity-out;
 *  3. the access change (manifest entry signed by the old key, every file the old key could read
 *     rotated and signed by the new key), all or nothing;
 *  4. only then the store's old key is replaced by the new one, and the pending file removed.
 * A crash before 3 completes leaves the team as it was (the next run reuses the pending key, so a
 * staged transaction completed by the engine and this run agree on it); a crash between 3 and 4
 * leaves the old key in the store and the new one in the pending file, which the next run opens with
 * the old key and stores. At no point does the only copy of the key the team uses sit nowhere.
 * When the change fails and provably changed nothing (no journal, the manifest does not list the new
 * key), the copies this run made are removed again: the new key was never used.
 */
export async function rekeySelf(options: SelfRekeyOptions): Promise<SelfRekeyResult> {
  const { repoRoot, env, oldKey } = options
  const origin = keyOrigin(oldKey, env)
  if (origin.kind === 'env' && !options.newIdentityOut) {
    const variable = origin.source === 'env' ? 'SENTRA_IDENTITY' : 'SENTRA_IDENTITY_FILE'
    throw new VaultError(
      `your key comes from ${variable}, which sentra cannot change: pass --new-identity-out FILE (the new key is written there, mode 0600), then point ${variable} at the new key`,
      'usage',
    )
  }
  if (origin.kind === 'store' && options.newIdentityOut) {
    throw new VaultError(
      `--new-identity-out is for keys given in SENTRA_IDENTITY / SENTRA_IDENTITY_FILE; your key is in the ${origin.store} store and the new one replaces it there (copy it with \`sentra keygen --backup FILE\`)`,
      'usage',
    )
  }

  const team = loadTrustedTeam({ repoRoot, env, purpose: 'read', notice: options.notice }).state
  const pendingPath = pendingRekeyPath(sentraGitDir(repoRoot))
  const pending = readPendingRekey(pendingPath)
  let newIdentity: AgeIdentity
  if (pending) {
    if (pending.recipient === oldKey.recipient) {
      // Crashed after storing the new key and before removing the pending copy: only the cleanup is left.
      removePendingRekey(pendingPath)
      return { name: pending.name, old: pending.old, recipient: pending.recipient, signingKey: pending.signingKey, agentStopped: false, resumed: true, alreadyComplete: true }
    }
    if (pending.old !== oldKey.recipient) {
      throw new VaultError(
        `${pendingPath} holds a new key (${pending.recipient}) waiting to replace ${pending.old}, but your key is ${oldKey.recipient}: finish that rekey with the key ${pending.old}, or delete the file if it was abandoned and ${pending.recipient} is not in the team`,
        'rekey-pending',
      )
    }
    newIdentity = await openPendingRekey(pending, oldKey, pendingPath)
    if (options.newIdentityFile) {
      const given = await readNewIdentity(options.newIdentityFile, options.passphrases)
      if (given.recipient !== newIdentity.recipient) {
        throw new VaultError(`an interrupted rekey to ${newIdentity.recipient} is pending: re-run without --new-identity to finish it`, 'rekey-pending')
      }
    }
    options.notice(`finishing the interrupted rekey of ${oldKey.recipient} to ${newIdentity.recipient}`)
  } else {
    newIdentity = options.newIdentityFile ? await readNewIdentity(options.newIdentityFile, options.passphrases) : AgeIdentity.generate()
  }

  const oldOwner = ownerOfRecipient(team, oldKey.recipient)
  const newOwner = ownerOfRecipient(team, newIdentity.recipient)
  const teamChanged = pending !== undefined && oldOwner !== undefined && !oldOwner.active && newOwner?.active === true && newOwner.member === oldOwner.member
  if (!oldOwner) throw new VaultError(`your key (${oldKey.recipient}) belongs to no member of this team: there is nothing to rekey here`, 'rekey-not-member')
  const name = oldOwner.member.name
  if (!teamChanged) {
    if (!oldOwner.active) {
      throw new VaultError(
        `your key (${oldKey.recipient}) was removed from the team: it can no longer sign. Make a request with your new key (sentra team request-access ${name}) and ask an admin to run \`sentra team rekey ${name}\``,
        'rekey-removed',
      )
    }
    if (oldOwner.member.role === 'service') {
      throw new VaultError(
        `${name} is a service member, and service members never sign manifest entries: make a request with the new key (SENTRA_IDENTITY_FILE=NEW-KEY sentra team request-access ${name}) and ask an admin to run \`sentra team rekey ${name}\``,
        'rekey-service',
      )
    }
    if (newIdentity.recipient === oldKey.recipient) throw new VaultError('the new key is the key you already use: give another one (or none, to generate one)', 'usage')
    if (newOwner) throw new VaultError(`the new key ${newIdentity.recipient} already belongs to ${newOwner.member.name}${newOwner.active ? '' : ' (removed)'}: a key is never reused`, 'usage')
  }
  if (origin.kind === 'env' && existsSync(options.newIdentityOut!) && identityFileRecipient(options.newIdentityOut!) !== newIdentity.recipient) {
    throw newIdentityFileExists(options.newIdentityOut!)
  }
  const journal = pendingChange(repoRoot)
  if (teamChanged && journal && journal.command !== SELF_REKEY_COMMAND) {
    throw new VaultError(`an interrupted \`${journal.command}\` is pending: run it again first, then \`sentra team rekey\``, 'pending-change')
  }

  // 1. Questions, and the old key itself when a backup needs it (the agent never hands it out).
  let backupIdentity: AgeIdentity | undefined
  if (options.backupOld && !(pending && existsSync(options.backupOld))) backupIdentity = await oldIdentity(oldKey, options)
  else if (options.backupOld) options.notice(`${options.backupOld} exists (written by the interrupted run): not written again`)
  if (backupIdentity) await writeBackup(backupIdentity, options.backupOld!, options.passphrases)
  const passphrase = origin.kind === 'store' ? await askNewPassphrase(origin.store, options.passphrases) : undefined

  // 2. The new key, durable before the team changes.
  if (!pending) await writePendingRekey(pendingPath, name, oldKey.recipient, newIdentity)
  const wroteOut = origin.kind === 'env' && !existsSync(options.newIdentityOut!)
  if (origin.kind === 'env') writeOrConfirmIdentityFile(options.newIdentityOut!, newIdentity)
  const forgetUnusedKey = () => {
    if (pending || pendingChange(repoRoot) || manifestMayList(repoRoot, newIdentity.recipient)) return
    removePendingRekey(pendingPath)
    if (wroteOut) rmSync(options.newIdentityOut!, { force: true })
  }

  // 3. The team change (skipped when an interrupted run already made it and nothing is left to complete).
  let change: AccessChangeResult | undefined
  if (!teamChanged || journal) {
    const replacement = { recipient: newIdentity.recipient, signingKey: newIdentity.signingPublicKey }
    const newKey = new LocalKey(newIdentity, origin.kind === 'store' ? origin.store : origin.source)
    const endorsement = await createRekeyEndorsement(oldKey, team.root, name, replacement)
    const request = await createRequest(newKey, name, team.root)
    try {
      change = await changeAccess({
        repoRoot,
        env,
        notice: options.notice,
        warn: options.warn,
        manifestSigner: oldKey,
        reader: oldKey,
        fileSigner: newKey,
        command: SELF_REKEY_COMMAND,
        ...(options.commit ? { commitMessage: selfRekeyCommitMessage(name) } : {}),
        buildOp: () => ({ type: 'rekey', name, old: oldKey.recipient, request, endorsement }),
      })
    } catch (error) {
      forgetUnusedKey()
      throw error
    }
    const now = ownerOfRecipient(change.after, newIdentity.recipient)
    if (!now?.active || now.member.name !== name) {
      throw new VaultError(`the team change finished, but the manifest does not list ${newIdentity.recipient} for ${name}: check \`sentra team list\`; your new key is kept in ${pendingPath}`, 'rekey-incomplete')
    }
  } else {
    options.notice('the team change of the interrupted rekey was already made; storing the new key')
  }

  // 4. The new key takes the old one's place on this device.
  let stored: StoredNewKey
  if (origin.kind === 'store') {
    let location: string
    try {
      location = await replaceStoredIdentity(newIdentity, origin.store, { env, passphrases: options.passphrases, warn: options.warn, ...(passphrase ? { passphrase } : {}) })
    } catch (error) {
      throw new VaultError(
        `the team now uses your new key ${newIdentity.recipient}, but storing it failed: ${(error as Error).message}. It is kept in ${pendingPath}, encrypted to your old key: fix the store and run \`sentra team rekey\` again to finish`,
        'rekey-store',
      )
    }
    stored = { kind: 'store', store: origin.store, location }
  } else {
    stored = { kind: 'env', variable: origin.source === 'env' ? 'SENTRA_IDENTITY' : 'SENTRA_IDENTITY_FILE', path: options.newIdentityOut! }
  }
  removePendingRekey(pendingPath)
  const agentStopped = await stopAgentHolding(oldKey.recipient, env)
  return {
    name,
    old: oldKey.recipient,
    recipient: newIdentity.recipient,
    signingKey: newIdentity.signingPublicKey,
    ...(change ? { change } : {}),
    stored,
    ...(options.backupOld ? { backup: options.backupOld } : {}),
    agentStopped,
    resumed: pending !== undefined,
  }
}

/** Whether the working manifest lists `recipient` (true when it cannot be read: then nothing is sure). */
function manifestMayList(repoRoot: string, recipient: string): boolean {
  try {
    const chain = readWorkingChain(repoRoot)
    return chain === undefined || ownerOfRecipient(chain.state, recipient) !== undefined
  } catch {
    return true
  }
}

async function readNewIdentity(path: string, passphrases: PassphraseReader): Promise<AgeIdentity> {
  return readImport(path, passphrases)
}

/** The old identity itself, for its backup: from the handle, or (agent) from the store it was unlocked from. */
async function oldIdentity(oldKey: KeyHandle, options: SelfRekeyOptions): Promise<AgeIdentity> {
  if (oldKey instanceof LocalKey) return oldKey.identity
  const [identity] = await openStoredIdentity({ env: options.env, passphrases: options.passphrases, warn: options.warn })
  if (identity.recipient !== oldKey.recipient) throw new VaultError(`the stored key is not ${oldKey.recipient}, the key the agent holds: run \`sentra lock\` and try again`, 'keystore')
  return identity
}

/** --new-identity-out on a re-run: the file an interrupted run wrote is fine when it holds this very key. */
function writeOrConfirmIdentityFile(path: string, identity: AgeIdentity): void {
  if (existsSync(path) && identityFileRecipient(path) === identity.recipient) return
  writeNewIdentityFile(path, identity)
}

function identityFileRecipient(path: string): string | undefined {
  try {
    return parseIdentityFile(readFileSync(path, 'utf8'), path).recipient
  } catch {
    return undefined
  }
}

export interface AdminRekeyOptions extends ChangeContext {
  /** The admin's key: signs the entry, reads and re-signs the files. */
  key: KeyHandle
  /** The member whose key is replaced; their new key's request is `.sentra/requests/NAME.json`. */
  name: string
  /** The recipient to replace, when the member has several devices. */
  device?: string
  commitMessage?: string
}

export interface AdminRekeyResult {
  name: string
  old: string
  recipient: string
  signingKey: string
  change: AccessChangeResult
}

export function adminRekeyCommand(name: string, device: string | undefined): string {
  return `${SELF_REKEY_COMMAND} ${name}${device ? ` --device ${device}` : ''}`
}

/**
 * An admin replaces a member's key that was lost (or a service member's, which never signs): the
 * member's new key comes as an access request, there is no endorsement, and the admin's key does the
 * rest, exactly like a device removal plus an addition in one entry.
 */
export async function rekeyByAdmin(options: AdminRekeyOptions): Promise<AdminRekeyResult> {
  const { repoRoot, env, key, name } = options
  const command = adminRekeyCommand(name, options.device)
  const requestFile = requestPath(repoRoot, name)
  const requestRepoPath = `${REQUESTS_DIR}/${name}.json`
  // The same command interrupted: the engine completes or rolls it back, and the checks below would
  // judge a half-applied team, so they are left to the replay.
  const resuming = pendingChange(repoRoot)?.command === command
  const request = resuming && !existsSync(requestFile) ? undefined : readRequestFile(requestFile)

  /** The device to replace: --device, or the member's only one. */
  const oldDevice = (team: TeamState): string => {
    const member = team.members.get(name)
    if (!member) throw new VaultError(`no member named ${name} (see sentra team list); a newcomer is added with \`sentra team add ${name}\``, 'usage')
    if (member.removedAt !== undefined) throw new VaultError(`${name} was removed from the team (entry #${member.removedAt}): member names are never reused`, 'usage')
    const devices = activeDevices(member).map((device) => device.recipient)
    if (options.device) {
      if (!devices.includes(options.device)) throw new VaultError(`${name} has no active device ${options.device}; their devices: ${devices.join(', ')}`, 'usage')
      return options.device
    }
    if (devices.length === 1) return devices[0]!
    throw new VaultError(`${name} has ${devices.length} devices (${devices.join(', ')}): choose the one to replace with --device age1…`, 'usage')
  }

  if (!resuming) {
    const team = loadTrustedTeam({ repoRoot, env, purpose: 'read', notice: options.notice }).state
    if (request!.name !== name) throw new VaultError(`the request in ${requestRepoPath} is for "${request!.name}", not "${name}"`, 'usage')
    if (request!.team !== team.root) {
      throw new VaultError(`the request in ${requestRepoPath} was made for another team (root ${request!.team.slice(0, 16)}…, this team is ${team.root.slice(0, 16)}…)`, 'usage')
    }
    oldDevice(team)
    if (!isAdmin(team, key.signingKey)) {
      const self = ownerOfSigningKey(team, key.signingKey)
      throw new VaultError(
        self?.active && self.member.name === name
          ? 'only an admin rekeys from an access request: to replace your own key, run `sentra team rekey` with no name'
          : 'only an admin rekeys another member (one who lost their key, or a service member); members rekey their own key with `sentra team rekey`',
        'not-admin',
      )
    }
  }
  const change = await changeAccess({
    repoRoot,
    env,
    notice: options.notice,
    warn: options.warn,
    manifestSigner: key,
    reader: key,
    fileSigner: key,
    command,
    ...(request ? { removeFiles: [requestRepoPath] } : {}),
    ...(options.commitMessage ? { commitMessage: options.commitMessage } : {}),
    buildOp: (team) => {
      if (!request) throw new VaultError(`no access request at ${requestRepoPath}: ${name} runs \`sentra team request-access ${name}\` with the new key`, 'request-missing')
      return { type: 'rekey', name, old: oldDevice(team), request, endorsement: null }
    },
  })
  const last = change.after.entries.at(-1)?.op
  if (last?.type !== 'rekey' || last.name !== name) throw new VaultError(`the change finished, but the manifest's last entry is not ${name}'s rekey: check \`sentra team list --history\``, 'rekey-incomplete')
  if (change.resumed && existsSync(requestFile)) options.notice(`${requestRepoPath} is no longer needed: delete it`)
  return { name, old: last.old, recipient: last.request.recipient, signingKey: last.request.signingKey, change }
}
