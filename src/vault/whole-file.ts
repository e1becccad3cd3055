import { existsSync, readFileSync } from 'node:fs'
import { AgeDecryptError, decryptAge, encryptToRecipients } from './age.js'
import { canonicalJson, normalizeRepoPath, sha256Hex, utf8 } from './encoding.js'
import { VaultError } from './errors.js'
import { writeFileAtomic } from './fs-atomic.js'
import { assertRecipient, isX25519Recipient } from './identity.js'
import type { KeyHandle } from './keystore/index.js'
import { canWritePath, isRemovedRecipient, ownerOfSigningKey, policyForPath, recipientDrift, recipientsForPath, type TeamState } from './manifest/state.js'
import { SIGNATURE_LABELS, isSigningPublicKey, signatureToText, verifySignature } from './signing.js'

/**
 * Whole-file format: `FILE.age` is a standard armored age file (readable with `age -d`), and
 * `FILE.age.sig` a detached signature (label sentra/v1/file) over the ciphertext's hash, the
 * `.age` file's repo-relative path and the recipient list.
 */
export interface FileSignature {
  kind: 'sentra-file-signature'
  v: 1
  /** Repo-relative path of the `.age` file, as git spells it. */
  path: string
  /** `sha256:` and the hex hash of the `.age` file's bytes. */
  ciphertext: string
  /** Every recipient the file was encrypted to, sorted. */
  recipients: string[]
  /** The subset given with --recipient, outside the team (unmanaged files only), sorted. */
  oneOff: string[]
  signer: string
  sig: string
}

export const SIGNATURE_SUFFIX = '.sig'
export const AGE_SUFFIX = '.age'

function signatureBytes(signature: Omit<FileSignature, 'sig'> | FileSignature): Uint8Array {
  const { sig: _sig, ...body } = signature as FileSignature
  return utf8(canonicalJson(body))
}

/** The path a policy rule is matched against: the plaintext's path (the `.age` name matches too). */
export function wholeFilePolicy(state: TeamState, agePath: string) {
  const plain = agePath.endsWith(AGE_SUFFIX) ? agePath.slice(0, -AGE_SUFFIX.length) : agePath
  return policyForPath(state, plain) ?? policyForPath(state, agePath)
}

export interface EncryptWholeFileOptions {
  state: TeamState
  key: KeyHandle
  /** Repo-relative path of the `.age` file to write. */
  agePath: string
  /** Absolute paths. */
  ageFile: string
  plaintext: Uint8Array
  oneOff?: string[]
}

export interface EncryptWholeFileResult {
  recipients: string[]
  oneOff: string[]
  managed: boolean
}

export async function encryptWholeFile(options: EncryptWholeFileOptions): Promise<EncryptWholeFileResult> {
  const { state, key } = options
  const agePath = normalizeRepoPath(options.agePath)
  const managed = wholeFilePolicy(state, agePath) !== undefined
  const oneOff = [...new Set((options.oneOff ?? []).map(assertRecipient))].sort()
  if (managed && oneOff.length > 0) {
    throw new VaultError(`${agePath} is a managed path: it always goes to exactly the recipients the team policy gives, so --recipient is refused (it is for unmanaged files only)`, 'managed-recipient')
  }
  const writable = canWritePath(state, key.signingKey, agePath)
  if (!writable.ok) throw new VaultError(`you cannot sign ${agePath}: ${writable.reason}`, 'not-allowed')
  const sealed = await sealWholeFile({ state, signer: key, agePath, plaintext: options.plaintext, oneOff })
  // The ciphertext first: a crash in between leaves a signature mismatch that verify reports, never a
  // new signature over an old file.
  writeFileAtomic(options.ageFile, sealed.ciphertext)
  writeFileAtomic(options.ageFile + SIGNATURE_SUFFIX, sealed.signatureText)
  return { recipients: sealed.recipients, oneOff: sealed.oneOff, managed }
}

export interface SealedWholeFile {
  ciphertext: Uint8Array
  signatureText: string
  recipients: string[]
  oneOff: string[]
}

/**
 * Encrypts to the team's recipients for the path plus `oneOff` (never a removed key) and signs,
 * without writing: access changes stage the two files in a transaction.
 */
export async function sealWholeFile(options: { state: TeamState; signer: Pick<KeyHandle, 'signingKey' | 'sign'>; agePath: string; plaintext: Uint8Array; oneOff?: string[] }): Promise<SealedWholeFile> {
  const { state } = options
  const agePath = normalizeRepoPath(options.agePath)
  const oneOff = [...new Set(options.oneOff ?? [])].sort()
  for (const recipient of oneOff) {
    if (isRemovedRecipient(state, recipient)) throw new VaultError(`${recipient} is a key removed from the team: encrypting to it is refused`, 'removed-recipient')
  }
  const team = recipientsForPath(state, agePath).all
  const recipients = [...new Set([...team, ...oneOff])].sort()
  const oneOffOutside = oneOff.filter((recipient) => !team.includes(recipient))
  const ciphertext = await encryptToRecipients(options.plaintext, recipients)
  return { ciphertext, recipients, oneOff: oneOffOutside, signatureText: await signWholeFile(agePath, ciphertext, recipients, oneOffOutside, options.signer) }
}

/** The signature file's text for a ciphertext at a path (also what a re-sign without re-encryption writes). */
export async function signWholeFile(agePath: string, ciphertext: Uint8Array, recipients: string[], oneOff: string[], signer: Pick<KeyHandle, 'signingKey' | 'sign'>): Promise<string> {
  const body: Omit<FileSignature, 'sig'> = {
    kind: 'sentra-file-signature',
    v: 1,
    path: normalizeRepoPath(agePath),
    ciphertext: `sha256:${sha256Hex(ciphertext)}`,
    recipients: [...recipients].sort(),
    oneOff: [...oneOff].sort(),
    signer: signer.signingKey,
  }
  const signature: FileSignature = { ...body, sig: signatureToText(await signer.sign(SIGNATURE_LABELS.file, signatureBytes(body))) }
  return `${JSON.stringify(signature, null, 2)}\n`
}

export interface SignatureCheck {
  ok: boolean
  /** Problems with authorship or integrity: refusing unless --allow-unsigned. */
  problems: string[]
  /** Recipient drift and similar: reported, not fatal for a decrypt. */
  warnings: string[]
  signer?: string
  signature?: FileSignature
}

export function parseSignature(text: string): FileSignature | undefined {
  let value: Partial<FileSignature>
  try {
    value = JSON.parse(text) as Partial<FileSignature>
  } catch {
    return undefined
  }
  const fields = ['kind', 'v', 'path', 'ciphertext', 'recipients', 'oneOff', 'signer', 'sig']
  if (typeof value !== 'object' || value === null || Object.keys(value).some((key) => !fields.includes(key))) return undefined
  if (value.kind !== 'sentra-file-signature' || value.v !== 1 || typeof value.path !== 'string' || typeof value.ciphertext !== 'string') return undefined
  if (!Array.isArray(value.recipients) || !value.recipients.every(isX25519Recipient)) return undefined
  if (!Array.isArray(value.oneOff) || !value.oneOff.every(isX25519Recipient)) return undefined
  if (!isSigningPublicKey(value.signer) || typeof value.sig !== 'string') return undefined
  return value as FileSignature
}

/** Checks `FILE.age.sig` against the ciphertext, the path and the team (public data only). */
export function checkWholeFileSignature(state: TeamState, agePath: string, ciphertext: Uint8Array, signatureText: string | undefined): SignatureCheck {
  const path = normalizeRepoPath(agePath)
  const problems: string[] = []
  const warnings: string[] = []
  if (signatureText === undefined) return { ok: false, problems: [`${path} has no signature (${path}${SIGNATURE_SUFFIX}): nobody vouches for its content`], warnings }
  const signature = parseSignature(signatureText)
  if (!signature) return { ok: false, problems: [`${path}${SIGNATURE_SUFFIX} is not a valid sentra file signature`], warnings }
  if (!verifySignature(signature.signer, SIGNATURE_LABELS.file, signatureBytes(signature), signature.sig)) {
    return { ok: false, problems: [`the signature in ${path}${SIGNATURE_SUFFIX} does not verify (the signature file was edited)`], warnings, signature }
  }
  if (signature.path !== path) problems.push(`${path} carries a signature made for ${signature.path}: a signed file was copied or renamed (re-encrypt it at its new path)`)
  if (signature.ciphertext !== `sha256:${sha256Hex(ciphertext)}`) problems.push(`${path} was changed after it was signed`)
  const owner = ownerOfSigningKey(state, signature.signer)
  const writable = canWritePath(state, signature.signer, path)
  if (!writable.ok) problems.push(`${path} is signed by a key that may not write it: ${writable.reason}`)
  // Drift: the recipient list the signer claims, against what the manifest gives this path now.
  const { missing, extra: extraMembers, removed } = recipientDrift(state, path, signature.recipients, signature.oneOff)
  if (removed.length > 0) warnings.push(`${path} is still encrypted to removed key(s) ${removed.join(', ')}: re-encrypt it (and rotate what it holds)`)
  if (missing.length > 0) warnings.push(`${path} is not encrypted to ${missing.join(', ')}, whom the team gives access: re-encrypt it`)
  if (extraMembers.length > 0) warnings.push(`${path} is encrypted to ${extraMembers.join(', ')} beyond the team's recipients for it: re-encrypt it`)
  if (signature.oneOff.length > 0 && wholeFilePolicy(state, path)) problems.push(`${path} is managed but its signature lists one-off recipients ${signature.oneOff.join(', ')}`)
  return { ok: problems.length === 0, problems, warnings, signature, ...(owner ? { signer: owner.member.name } : {}) }
}

export interface DecryptWholeFileOptions {
  /** Undefined when the repository has no team manifest: only allowed with allowUnsigned. */
  state: TeamState | undefined
  key: KeyHandle
  agePath: string
  ageFile: string
  allowUnsigned?: boolean
  warn: (message: string) => void
}

/**
 * Verifies then decrypts. Content no current member vouches for is refused unless allowUnsigned,
 * which also admits plain age files with no signature at all. Returns the plaintext in memory.
 */
export async function decryptWholeFile(options: DecryptWholeFileOptions): Promise<{ plaintext: Uint8Array; signer?: string }> {
  const { state, key, warn } = options
  const agePath = normalizeRepoPath(options.agePath)
  if (!existsSync(options.ageFile)) throw new VaultError(`${agePath} does not exist`, 'usage')
  const ciphertext = new Uint8Array(readFileSync(options.ageFile))
  const sigFile = options.ageFile + SIGNATURE_SUFFIX
  const check: SignatureCheck = state
    ? checkWholeFileSignature(state, agePath, ciphertext, existsSync(sigFile) ? readFileSync(sigFile, 'utf8') : undefined)
    : { ok: false, problems: ['this repository has no team manifest, so nobody vouches for the file'], warnings: [] }
  if (!check.ok) {
    if (!options.allowUnsigned) {
      throw new VaultError(`refusing to decrypt: ${check.problems[0]}. Pass --allow-unsigned to read it anyway, only if you trust where it came from`, 'unsigned')
    }
    for (const problem of check.problems) warn(`${problem} (reading it anyway: --allow-unsigned)`)
  }
  for (const warning of check.warnings) warn(warning)
  try {
    const plaintext = await decryptAge(ciphertext, key.decryptKeys())
    return { plaintext, ...(check.ok && check.signer ? { signer: check.signer } : {}) }
  } catch (error) {
    if (error instanceof AgeDecryptError && error.failure === 'no-match') {
      throw new VaultError(`your key (${key.recipient}) is not a recipient of ${agePath}`, 'not-recipient')
    }
    if (error instanceof AgeDecryptError) throw new VaultError(`cannot decrypt ${agePath}: ${error.message}`, error.kind)
    throw error
  }
}

export function writePlaintext(path: string, plaintext: Uint8Array): void {
  writeFileAtomic(path, plaintext, 0o600)
}
