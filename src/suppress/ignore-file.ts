import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import micromatch from 'micromatch'

/** The ignore file at the repository root. */
export const IGNORE_FILE = '.sentraignore'

/** `rule-id:16 hex`, as printed by every sentra report. */
const FINGERPRINT = /^[a-z0-9]+(?:-[a-z0-9]+)*:[0-9a-f]{16}$/

export interface IgnoreEntry {
  fingerprint: string
  /** When present, the entry only applies to findings in files matching this micromatch glob. */
  glob?: string
  comment?: string
  /** 1-based line in the ignore file, for messages such as unused-entry reports. */
  line: number
}

export class SuppressionFileError extends Error {}

export function isFingerprint(text: string): boolean {
  return FINGERPRINT.test(text)
}

/**
 * Parses `.sentraignore`: one fingerprint per line, optionally followed by a path glob, and an
 * optional `# comment` (a `#` at the start of the line or after whitespace). Fingerprints hash the
 * secret, not its place, so an entry survives edits and renames, and a changed secret is reported again.
 */
export function parseIgnoreFile(text: string, source = IGNORE_FILE): IgnoreEntry[] {
  const entries: IgnoreEntry[] = []
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    const hash = raw.search(/(?:^|\s)#/)
    const body = (hash === -1 ? raw : raw.slice(0, hash)).trim()
    const comment = hash === -1 ? undefined : raw.slice(raw.indexOf('#', hash) + 1).trim()
    if (body === '') return
    const fields = body.split(/\s+/)
    const [fingerprint, glob, ...extra] = fields as [string, string | undefined, ...string[]]
    if (!isFingerprint(fingerprint)) {
      throw new SuppressionFileError(
        `${source}:${line}: "${fingerprint}" is not a fingerprint (expected rule-id:16 hex digits, as printed by sentra scan)`,
      )
    }
    if (extra.length > 0) {
      throw new SuppressionFileError(`${source}:${line}: expected "FINGERPRINT [PATH-GLOB] [# comment]", found ${fields.length} fields`)
    }
    if (glob !== undefined) {
      try {
        micromatch.makeRe(glob)
      } catch (error) {
        throw new SuppressionFileError(`${source}:${line}: invalid path glob "${glob}": ${(error as Error).message}`)
      }
    }
    const entry: IgnoreEntry = { fingerprint, line }
    if (glob !== undefined) entry.glob = glob
    if (comment) entry.comment = comment
    entries.push(entry)
  })
  return entries
}

/** Reads `<root>/.sentraignore`; a missing file is an empty list. */
export function loadIgnoreFile(root: string, file = join(root, IGNORE_FILE), source = IGNORE_FILE): IgnoreEntry[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new SuppressionFileError(`${source}: cannot read: ${(error as Error).message}`)
  }
  return parseIgnoreFile(text, source)
}

/** One line of `.sentraignore`, in the form the parser reads back. */
export function formatIgnoreEntry(entry: Omit<IgnoreEntry, 'line'>): string {
  const fields = [entry.fingerprint, ...(entry.glob ? [entry.glob] : [])].join(' ')
  const comment = entry.comment ? `  # ${entry.comment.replace(/[\r\n]+/g, ' ')}` : ''
  return `${fields}${comment}`
}

/**
 * Adds entries to the text of an ignore file, skipping fingerprint+glob pairs already present, so that
 * running an import twice changes nothing. Returns the new text and how many entries were added.
 */
export function appendIgnoreEntries(
  existing: string,
  additions: readonly Omit<IgnoreEntry, 'line'>[],
  header?: string,
): { text: string; added: number } {
  const present = new Set(parseIgnoreFile(existing).map((entry) => `${entry.fingerprint} ${entry.glob ?? ''}`))
  const lines: string[] = []
  for (const entry of additions) {
    const key = `${entry.fingerprint} ${entry.glob ?? ''}`
    if (present.has(key)) continue
    present.add(key)
    lines.push(formatIgnoreEntry(entry))
  }
  if (lines.length === 0) return { text: existing, added: 0 }
  let text = existing
  if (text.length > 0 && !text.endsWith('\n')) text += '\n'
  if (header) text += `${text.length > 0 ? '\n' : ''}# ${header}\n`
  return { text: `${text}${lines.join('\n')}\n`, added: lines.length }
}

/** The header written at the top of a new ignore file: the format, where people will look for it. */
export const IGNORE_FILE_HEADER = `# sentra ignore file: findings that are not secrets (false positives) or accepted on purpose.
# One fingerprint per line, as printed by \`sentra scan\`, optionally limited to a path glob:
#   aws-access-key-id:0f1e2d3c4b5a6978                    # the documented example key
#   generic-secret-assignment:0011223344556677 docs/**    # only in docs
# A fingerprint hashes the secret itself: edits and renames keep an entry valid, and a changed
# secret is reported again. \`sentra scan --report-unused-ignores\` lists entries that match nothing.
`
