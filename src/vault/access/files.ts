import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync } from '../../git/exec.js'
import { VaultError } from '../errors.js'
import { policyForPath, type TeamState } from '../manifest/state.js'
import type { ValuesFormat } from '../values/metadata.js'
import { formatByName, isValuesFormat } from '../values/ops.js'
import { readValuesFile } from '../values/values-file.js'
import { looksEncrypted } from '../values/verify-values.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX, parseSignature } from '../whole-file.js'

/** An encrypted file of the work tree, as access changes and `status` see it (public data only). */
export interface EncryptedFile {
  /** Repo path of the encrypted file: the per-value file itself, or `X.age`. */
  path: string
  kind: 'values' | 'whole'
  format: ValuesFormat | 'binary'
  /** Recipients listed in the per-value metadata, or in the `.age.sig` signature file. */
  recipients: string[]
  /** Signing key named by the metadata / signature file. */
  signer?: string
  /** Whole files outside the managed paths: recipients outside the team, kept by access changes. */
  oneOff?: string[]
  /** Per-value files: the file id and DEK commitment, which together identify the data key. */
  dek?: { id: string; commit: string }
  /** Why the file could not be read as an encrypted file (the other fields are then best effort). */
  problem?: string
}

/** Tracked plus untracked-not-ignored paths, sorted: what `git add -A` would see. */
export function workTreePaths(repoRoot: string, spec: readonly string[] = []): string[] {
  const split = (out: Buffer) => out.toString('utf8').split('\0').filter(Boolean)
  const tracked = split(gitSync(['ls-files', '-z', '--cached', '--', ...spec], repoRoot))
  const untracked = split(gitSync(['ls-files', '-z', '--others', '--exclude-standard', '--', ...spec], repoRoot))
  return [...new Set([...tracked, ...untracked])].sort()
}

/** The per-value format of a path: its policy rule's, else its name's. Undefined for whole files. */
export function valuesFormatOf(state: TeamState, path: string): ValuesFormat | undefined {
  const rule = policyForPath(state, path)
  const format = rule ? rule.format : formatByName(path)
  return format && isValuesFormat(format) ? format : undefined
}

/** Reads one path as an encrypted file; undefined when it is not one (plain file, or missing). */
export function readEncryptedFile(repoRoot: string, state: TeamState, path: string): EncryptedFile | undefined {
  const file = join(repoRoot, path)
  if (path.endsWith(AGE_SUFFIX)) {
    if (!existsSync(file)) return undefined
    const sigFile = file + SIGNATURE_SUFFIX
    if (!existsSync(sigFile)) return { path, kind: 'whole', format: 'binary', recipients: [], problem: `${path} has no signature file (${path}${SIGNATURE_SUFFIX})` }
    const signature = parseSignature(readFileSync(sigFile, 'utf8'))
    if (!signature) return { path, kind: 'whole', format: 'binary', recipients: [], problem: `${path}${SIGNATURE_SUFFIX} is not a valid sentra file signature` }
    return { path, kind: 'whole', format: 'binary', recipients: [...signature.recipients], signer: signature.signer, oneOff: [...signature.oneOff] }
  }
  const format = valuesFormatOf(state, path)
  if (!format || !existsSync(file)) return undefined
  const text = readFileSync(file, 'utf8')
  if (!looksEncrypted(text)) return undefined
  try {
    const values = readValuesFile(text, format)
    if (!values.meta) return undefined
    return {
      path,
      kind: 'values',
      format,
      recipients: values.meta.recipients.map((entry) => entry.recipient),
      signer: values.meta.signer,
      dek: { id: values.meta.id, commit: values.meta.commit },
    }
  } catch (error) {
    if (error instanceof VaultError) return { path, kind: 'values', format, recipients: [], problem: `${path}: ${error.message}` }
    throw error
  }
}

/** Every encrypted file in the work tree (tracked, and untracked but not ignored), sorted by path. */
export function listEncryptedFiles(repoRoot: string, state: TeamState, spec: readonly string[] = []): EncryptedFile[] {
  const files: EncryptedFile[] = []
  for (const path of workTreePaths(repoRoot, spec)) {
    if (path.endsWith(SIGNATURE_SUFFIX)) continue
    const file = readEncryptedFile(repoRoot, state, path)
    if (file) files.push(file)
  }
  return files
}
