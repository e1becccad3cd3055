import { basename } from 'node:path'
import { normalizeRepoPath } from '../encoding.js'
import { VaultError } from '../errors.js'
import type { KeyHandle } from '../keystore/index.js'
import type { ManagedFormat } from '../manifest/entry.js'
import { canWritePath, ownerOfSigningKey, policyForPath, recipientDrift, recipientsForPath, type TeamState } from '../manifest/state.js'
import { isPlainValue, parseBody } from './body.js'
import { VALUES_FORMATS, type ValuesFormat } from './metadata.js'
import { describePath } from './value-crypto.js'
import {
  decryptValues,
  encryptBody,
  newValueKeys,
  readValuesFile,
  rotateClearBody,
  rotateValues,
  sealValuesFile,
  signatureVerifies,
  tokensByPath,
  unwrapDek,
  wrapDek,
  type DecryptedValue,
  type ValuesFile,
} from './values-file.js'

/**
 * Per-value files under the team's rules: which format a path has, who signs, who receives, and the
 * checks `verify`, `decrypt` and the guard share. Public checks need no key.
 */

/** The format of a path: its vault-policy rule, else --format, else its name. */
export function formatForPath(state: TeamState | undefined, path: string, override?: string): ManagedFormat {
  const rule = state ? policyForPath(state, path) : undefined
  if (rule) {
    if (override && override !== rule.format) throw new VaultError(`${path} is managed as ${rule.format} by the team policy: --format ${override} is refused`, 'usage')
    return rule.format
  }
  if (override) {
    if (![...VALUES_FORMATS, 'binary'].includes(override)) throw new VaultError(`unknown format ${override} (dotenv, json, yaml or binary)`, 'usage')
    return override as ManagedFormat
  }
  return formatByName(path) ?? 'binary'
}

/** The per-value format a file name implies, if any. */
export function formatByName(path: string): ValuesFormat | undefined {
  const name = basename(path)
  if (name === '.env' || name.startsWith('.env.')) return 'dotenv'
  if (name.endsWith('.json')) return 'json'
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml'
  return undefined
}

export function isValuesFormat(format: string): format is ValuesFormat {
  return (VALUES_FORMATS as readonly string[]).includes(format)
}

/** The plain-key patterns a path must have: its policy's; for an unmanaged path, the file's own (or none). */
export function plainKeysFor(state: TeamState, path: string, unmanaged: readonly string[] = []): string[] {
  return [...(policyForPath(state, path)?.plainKeys ?? unmanaged)]
}

const CONFLICT = /^(<{7}|>{7})( |$)/m

export interface ValuesCheck {
  ok: boolean
  /** Authorship, integrity and structure problems: a decrypt refuses unless --allow-unsigned. */
  problems: string[]
  /** Recipient drift: reported, not fatal for a decrypt. */
  warnings: string[]
  /** The member who signed, when the signature is valid. */
  signer?: string
  file?: ValuesFile
  /** True when the file is in clear (no metadata). */
  plaintext?: boolean
}

/**
 * Checks a per-value file with public data only: well formed, every value that is not plain in
 * encrypted form, signed by a current member allowed to write the path, bound to the path, addressed
 * to exactly the recipients the manifest gives (warnings), plain keys as the policy says.
 */
export function checkValuesFile(state: TeamState, path: string, text: string, format: ValuesFormat): ValuesCheck {
  path = normalizeRepoPath(path)
  const problems: string[] = []
  const warnings: string[] = []
  if (CONFLICT.test(text)) {
    return {
      ok: false,
      problems: [`${path} has git conflict markers: it was merged as text, without sentra's merge driver. Run \`sentra init\` (it registers the driver), then redo the merge (\`git checkout -m ${path}\` and merge again), or take one side (\`git checkout --ours/--theirs ${path}\`) and re-apply the other side's changes with \`sentra edit\``],
      warnings,
    }
  }
  let file: ValuesFile
  try {
    file = readValuesFile(text, format)
  } catch (error) {
    if (error instanceof VaultError) return { ok: false, problems: [`${path}: ${error.message}`], warnings }
    throw error
  }
  const rule = policyForPath(state, path)
  if (!file.meta) {
    const encryptable = file.body.values.filter((value) => !isPlainValue(value, rule?.plainKeys ?? []))
    return {
      ok: false,
      plaintext: true,
      problems: [`${path} is not encrypted${rule ? ' but is a managed path' : ''}${encryptable.length > 0 ? ` (${encryptable.length} value(s) in clear)` : ''}: run \`sentra encrypt ${path}\``],
      warnings,
      file,
    }
  }
  const meta = file.meta
  if (!signatureVerifies(file, path)) {
    if (meta.path !== path && signatureVerifies(file, meta.path)) {
      problems.push(`${path} carries a signature made for ${meta.path}: a signed file was copied or renamed (use \`sentra mv\`, which re-signs it at its new path)`)
    } else {
      problems.push(`${path} was changed after it was signed (its signature does not verify): if you edited it by hand, run \`sentra encrypt ${path}\` to re-encrypt and re-sign it; if git merged it as text, run \`sentra init\` and redo the merge`)
    }
  } else if (meta.path !== path) {
    problems.push(`${path} names another path (${meta.path}) in its metadata`)
  }
  const owner = ownerOfSigningKey(state, meta.signer)
  const writable = canWritePath(state, meta.signer, path)
  if (!writable.ok) problems.push(`${path} is signed by a key that may not write it: ${writable.reason}`)
  for (const value of file.body.values) {
    const plain = isPlainValue(value, meta.plain)
    if (!plain && value.token === undefined) problems.push(`${path}: the value of ${describePath(value.path)} (line ${value.line}) is in clear: run \`sentra encrypt ${path}\``)
    if (plain && value.token !== undefined) problems.push(`${path}: the value of ${describePath(value.path)} (line ${value.line}) is encrypted but its key is plain in this file`)
  }
  if (rule) {
    if (rule.format !== format) problems.push(`${path} is managed as ${rule.format}, not ${format}`)
    // The policy changed after the file was written: drift, like recipients (the file is consistent with itself).
    if (JSON.stringify([...meta.plain].sort()) !== JSON.stringify([...rule.plainKeys].sort())) {
      warnings.push(`${path} lists plain keys [${meta.plain.join(', ')}] but the team policy says [${rule.plainKeys.join(', ')}]: run \`sentra encrypt ${path}\` to apply the policy`)
    }
  }
  const { removed, missing, extra } = recipientDrift(state, path, meta.recipients.map((entry) => entry.recipient))
  if (removed.length > 0) warnings.push(`${path} is still readable by removed key(s) ${removed.join(', ')}: rotate it (sentra encrypt ${path} gives it a fresh data key; also change the secrets at their provider)`)
  if (missing.length > 0) warnings.push(`${path} is not encrypted to ${missing.join(', ')}, whom the team gives access: run \`sentra encrypt ${path}\``)
  if (extra.length > 0) warnings.push(`${path} is encrypted to ${extra.join(', ')} beyond the team's recipients for it: run \`sentra encrypt ${path}\` (it rotates the data key)`)
  return { ok: problems.length === 0, problems, warnings, file, ...(owner && problems.length === 0 ? { signer: owner.member.name } : {}) }
}

export interface OpenOptions {
  state: TeamState
  key: KeyHandle
  path: string
  text: string
  format: ValuesFormat
  allowUnsigned?: boolean
  warn: (message: string) => void
}

export interface OpenedValues {
  file: ValuesFile
  dek: Uint8Array
  values: DecryptedValue[]
  signer?: string
}

/** Verifies, then unwraps the DEK (checking the commitment) and decrypts every value. */
export async function openValuesFile(options: OpenOptions): Promise<OpenedValues> {
  const path = normalizeRepoPath(options.path)
  const check = checkValuesFile(options.state, path, options.text, options.format)
  if (!check.file?.meta) throw new VaultError(check.problems[0] ?? `${path} is not encrypted`, check.plaintext ? 'values:plaintext' : 'values:invalid')
  if (!check.ok) {
    if (!options.allowUnsigned) throw new VaultError(`refusing to decrypt: ${check.problems[0]}. Pass --allow-unsigned to read it anyway, only if you trust where it came from`, 'unsigned')
    for (const problem of check.problems) options.warn(`${problem} (reading it anyway: --allow-unsigned)`)
  }
  for (const warning of check.warnings) options.warn(warning)
  const dek = await unwrapDek(check.file.meta, options.key, path)
  const values = decryptValues(check.file, dek)
  return { file: check.file, dek, values, ...(check.signer ? { signer: check.signer } : {}) }
}

export interface EncryptOptions {
  state: TeamState
  key: KeyHandle
  path: string
  /** The file as it is now: plaintext, or encrypted with some values added or changed in clear. */
  text: string
  format: ValuesFormat
  /** The version committed at HEAD, if any: its valid signature vouches for the DEK of an edited file. */
  committed?: string
  /** Plain-key patterns for a path no policy rule covers (default: the file's own, or none). */
  plain?: string[]
  allowUnsigned?: boolean
  warn: (message: string) => void
}

export interface EncryptResult {
  text: string
  created: boolean
  changed: boolean
  rotated: boolean
  encryptedValues: number
  recipients: string[]
  /** Decrypted values (for the known-secrets store). */
  values: DecryptedValue[]
}

/**
 * Encrypts a file for the recipients the manifest gives its path, and signs it. A plaintext file gets
 * a new DEK and file id. An encrypted file keeps them: values added or changed in clear are encrypted
 * (unchanged ones keep their bytes), a recipient the manifest added gets an entry, and a recipient it
 * no longer lists makes the file rotate (fresh DEK, every value re-encrypted). Writing the same content
 * again gives the same bytes.
 */
export async function encryptValuesFile(options: EncryptOptions): Promise<EncryptResult> {
  const { state, key, format } = options
  const path = normalizeRepoPath(options.path)
  const writable = canWritePath(state, key.signingKey, path)
  if (!writable.ok) throw new VaultError(`you cannot sign ${path}: ${writable.reason}`, 'not-allowed')
  const recipients = recipientsForPath(state, path).all
  if (recipients.length === 0) throw new VaultError(`nobody in the team may read ${path}`, 'no-recipients')
  const file = readValuesFile(options.text, format)
  const plain = plainKeysFor(state, path, options.plain ?? file.meta?.plain ?? [])
  if (!file.meta) {
    const keys = newValueKeys()
    const body = encryptBody(file.body, keys, plain)
    const text = await sealValuesFile({ body, format, path, keys, plain, recipients: await wrapDek(keys.dek, recipients), signer: key })
    const values = readValuesFile(text, format)
    return { text, created: true, changed: true, rotated: false, encryptedValues: values.body.values.filter((v) => v.token !== undefined).length, recipients, values: decryptValues(values, keys.dek) }
  }
  const meta = file.meta
  const trusted = trustedDek(state, path, file, options.committed, format)
  if (!trusted) {
    if (!options.allowUnsigned) {
      throw new VaultError(
        `${path} is not signed by a team member allowed to write it, and its data key is not the one of the committed version: check its content (sentra decrypt ${path} --allow-unsigned) and re-run with --allow-unsigned to vouch for it`,
        'unsigned',
      )
    }
    options.warn(`${path}: signing content no team member vouched for (--allow-unsigned)`)
  }
  const dek = await unwrapDek(meta, key, path)
  // Every encrypted value is authenticated before the file is signed again.
  const existing = decryptValues(file, dek)
  const listed = meta.recipients.map((entry) => entry.recipient)
  const dropped = listed.filter((recipient) => !recipients.includes(recipient))
  const samePlain = JSON.stringify(meta.plain) === JSON.stringify(plain)
  if (dropped.length > 0 || !samePlain) {
    // A key that may no longer read the file must not get future values: fresh DEK (re-wrapping alone would not do).
    const text = await rotateValues(file, existing, { path, plain, recipients, signer: key })
    const rotated = readValuesFile(text, format)
    const changed = text !== options.text
    if (dropped.length > 0) options.warn(`${path}: ${dropped.join(', ')} may no longer read it, so it got a fresh data key; change its secrets at their provider too (they could read the old ones)`)
    return { text, created: false, changed, rotated: true, encryptedValues: rotated.body.values.filter((v) => v.token !== undefined).length, recipients, values: existing }
  }
  const keys = { dek, id: meta.id }
  const body = encryptBody(file.body, keys, plain, tokensByPath(file))
  const text = await sealValuesFile({ body, format, path, keys, plain, recipients: await wrapDek(dek, recipients, meta.recipients), signer: key })
  const result = readValuesFile(text, format)
  return { text, created: false, changed: text !== options.text, rotated: false, encryptedValues: result.body.values.filter((v) => v.token !== undefined).length, recipients, values: decryptValues(result, dek) }
}

/**
 * Whether the file's DEK is vouched for: its own signature is valid and by a member allowed to write
 * the path, or it has the file id and DEK commitment of the committed version, whose signature is.
 */
export function trustedDek(state: TeamState, path: string, file: ValuesFile, committed: string | undefined, format: ValuesFormat): boolean {
  if (!file.meta) return false
  if (signatureVerifies(file, path) && file.meta.path === path && canWritePath(state, file.meta.signer, path).ok) return true
  if (committed === undefined) return false
  try {
    const base = readValuesFile(committed, format)
    return (
      base.meta !== undefined &&
      base.meta.id === file.meta.id &&
      base.meta.commit === file.meta.commit &&
      signatureVerifies(base, path) &&
      canWritePath(state, base.meta.signer, path).ok
    )
  } catch {
    return false
  }
}

/** A clear body re-encrypted against the file it came from (edit, set): unchanged values keep their tokens. */
export async function reencryptEdited(options: { state: TeamState; key: KeyHandle; path: string; opened: OpenedValues; plaintextBody: string }): Promise<{ text: string; values: DecryptedValue[] }> {
  const { opened, key, state } = options
  const path = normalizeRepoPath(options.path)
  const meta = opened.file.meta!
  const format = opened.file.split.format
  const writable = canWritePath(state, key.signingKey, path)
  if (!writable.ok) throw new VaultError(`you cannot sign ${path}: ${writable.reason}`, 'not-allowed')
  const edited = parseBody(options.plaintextBody, format)
  if (edited.values.some((value) => value.token !== undefined)) throw new VaultError('the edited text holds sentra-encrypted tokens: put values in clear', 'values:edit')
  const recipients = recipientsForPath(state, path).all
  const plain = plainKeysFor(state, path, meta.plain)
  const keys = { dek: opened.dek, id: meta.id }
  const dropped = meta.recipients.map((entry) => entry.recipient).filter((recipient) => !recipients.includes(recipient))
  if (dropped.length > 0 || JSON.stringify(meta.plain) !== JSON.stringify(plain)) {
    const text = await rotateClearBody(edited, meta.id, { path, plain, recipients, signer: key })
    const rotated = readValuesFile(text, format)
    return { text, values: edited.values.map((value, index) => ({ index, path: value.path, type: value.type, plaintext: value.plaintext!, encrypted: rotated.body.values[index]?.token !== undefined })) }
  }
  const body = encryptBody(edited, keys, plain, tokensByPath(opened.file))
  const text = await sealValuesFile({ body, format, path, keys, plain, recipients: await wrapDek(opened.dek, recipients, meta.recipients), signer: key })
  return { text, values: decryptValues(readValuesFile(text, format), opened.dek) }
}
