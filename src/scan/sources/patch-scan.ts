import type { FilePatch } from '../../git/diff-parse.js'
import { detectEncrypted, maskEncrypted } from '../encrypted.js'
import type { Finding, Notice } from '../finding.js'
import { fingerprint } from '../fingerprint.js'
import { redact } from '../redact.js'
import type { Scanner } from '../scanner.js'

/**
 * Scanning the lines a patch adds. Scanners here run with `noRedact` and a placeholder salt: the
 * findings that survive the added-line filter get their real fingerprint and redaction in
 * `finalizeFinding`, so a clean commit never pays for computing the salt.
 */

export interface PatchScanResult {
  findings: Finding[]
  notices: Notice[]
  bytes: number
}

// A diff hunk of a sops or sentra file shows values without the file's metadata, so the encrypted
// file is not recognised from the hunk alone: its ciphertext values are blanked by their shape.
const CIPHERTEXT_HINTS: [string, 'sops' | 'sentra'][] = [['ENC[AES256_GCM,', 'sops'], ['ENC[sentra:v1,', 'sentra']]

function maskCiphertext(text: string): string {
  if (detectEncrypted(text)) return text
  let out = text
  for (const [hint, kind] of CIPHERTEXT_HINTS) if (out.includes(hint)) out = maskEncrypted(out, kind)
  return out
}

/** Scans a whole file's text, every line of which counts as added. */
export function scanWholeText(scanner: Scanner, text: string, file: string): PatchScanResult {
  const result = scanner.scanText(text, file)
  const notices = result.notices
  if (result.encrypted) notices.push({ file, kind: 'encrypted', message: `${result.encrypted}-encrypted file: only key names and comments scanned` })
  return { findings: result.findings, notices, bytes: text.length }
}

/** The lines a patch shows, as one text, with each text line's new-file line number (0: a gap) and whether it is added. */
export interface PatchText {
  file: string
  text: string
  lineMap: Int32Array
  added: Uint8Array
}

/**
 * Joins the lines a patch shows (added plus any context); hunks are separated by an empty line so
 * that a next-line allow marker never reaches across a gap.
 */
export function patchText(patch: FilePatch, file = patch.path): PatchText {
  const texts: string[] = []
  const map: number[] = []
  const added: number[] = []
  let previous = -1
  for (let i = 0; i < patch.lines.length; i++) {
    const line = patch.lines[i]!
    if (previous !== -1 && line !== previous + 1) {
      texts.push('')
      map.push(0)
      added.push(0)
    }
    texts.push(patch.texts[i]!)
    map.push(line)
    added.push(patch.added[i] ? 1 : 0)
    previous = line
  }
  return { file, text: texts.join('\n'), lineMap: Int32Array.from(map), added: Uint8Array.from(added) }
}

/** Scans a patch text and maps findings back to new-file lines, keeping those that touch an added line. */
export function scanPatchText(scanner: Scanner, patch: PatchText): PatchScanResult {
  const { file, lineMap, added } = patch
  const text = maskCiphertext(patch.text)
  if (text.includes('\0')) return { findings: [], notices: [{ file, kind: 'binary', message: 'binary file skipped' }], bytes: 0 }
  const result = scanner.scanText(text, file)
  const findings: Finding[] = []
  for (const finding of result.findings) {
    let touches = false
    for (let line = finding.line; line <= finding.endLine && !touches; line++) touches = added[line - 1] === 1
    if (!touches) continue
    finding.line = lineMap[finding.line - 1]!
    finding.endLine = lineMap[finding.endLine - 1] || finding.line
    findings.push(finding)
  }
  const notices = result.notices
  if (result.encrypted) notices.push({ file, kind: 'encrypted', message: `${result.encrypted}-encrypted file: only key names and comments scanned` })
  return { findings, notices, bytes: text.length }
}

/**
 * Lines of context kept above and below each added line when a whole file is at hand: enough for a
 * next-line allow marker and for the longest multi-line secret (a 4096-bit RSA key is ~51 lines).
 */
export const WINDOW_LINES = 64

/**
 * The part of a whole-file patch worth scanning: each added line with WINDOW_LINES lines around it
 * (a small change to a large file scans a few dozen lines, not the file). An encrypted file is kept
 * whole, since the scanner recognises one by metadata that may sit anywhere in it.
 */
export function windowed(patch: FilePatch, context = WINDOW_LINES): FilePatch {
  const count = patch.lines.length
  const keep = new Uint8Array(count)
  let kept = 0
  let lastEnd = -1
  for (let i = 0; i < count; i++) {
    if (!patch.added[i]) continue
    const from = Math.max(i - context, lastEnd + 1)
    const to = Math.min(i + context, count - 1)
    for (let k = from; k <= to; k++) keep[k] = 1
    kept += Math.max(0, to - from + 1)
    lastEnd = Math.max(lastEnd, to)
  }
  if (kept === count) return patch
  // Encrypted files carry ENC[...] values or start with an age header; only those are worth joining.
  const first = patch.lines[0] === 1 ? (patch.texts[0] ?? '') : ''
  const maybeEncrypted = first.startsWith('-----BEGIN AGE') || first.startsWith('age-encryption.org/') || patch.texts.some((line) => line.includes('ENC['))
  if (maybeEncrypted && detectEncrypted(patch.texts.join('\n') + '\n')) return patch
  const view: FilePatch = { ...patch, lines: [], texts: [], added: [] }
  for (let i = 0; i < count; i++) {
    if (!keep[i]) continue
    view.lines.push(patch.lines[i]!)
    view.texts.push(patch.texts[i]!)
    view.added.push(patch.added[i]!)
  }
  return view
}

/** Whether a patch adds text to scan: deletions, pure renames, mode changes and submodule pointers add none. */
export function addsContent(patch: FilePatch): boolean {
  return patch.status !== 'deleted' && !patch.submodule && (patch.binary || patch.added.includes(true))
}

/** Gives a raw finding (secret in clear, placeholder fingerprint) its real fingerprint and redaction. */
export function finalizeFinding(finding: Finding, salt: string, noRedact: boolean): Finding {
  const secret = finding.secret
  finding.fingerprint = fingerprint(finding.rule, secret, salt)
  finding.secret = noRedact ? secret : redact(secret)
  return finding
}

/** The salt the scanners of this module run with; replaced by finalizeFinding. */
export const PENDING_SALT = 'sentra/pending'
