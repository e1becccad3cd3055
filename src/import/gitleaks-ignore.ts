import type { ScanContext } from '../scan/context.js'
import type { IgnoreEntry } from '../suppress/ignore-file.js'
import { recoverEntries, type OldEntry, type Recovered, type Unrecovered } from './rescan.js'

export interface MalformedLine {
  line: number
  text: string
}

/** A commit id (SHA-1 or SHA-256) at the start of a gitleaks fingerprint. */
const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/

/**
 * Parses `.gitleaksignore`: one gitleaks fingerprint per line, `commit:file:rule-id:line` (history
 * scans) or `file:rule-id:line` (directory scans); `#` comments. Parsed from the right, so file
 * names containing `:` survive.
 */
export function parseGitleaksIgnore(text: string): { entries: OldEntry[]; malformed: MalformedLine[] } {
  const entries: OldEntry[] = []
  const malformed: MalformedLine[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const parts = trimmed.split(':')
    const lineText = parts.pop()
    const rule = parts.pop()
    if (parts.length === 0 || !lineText || !/^\d+$/.test(lineText) || !rule) {
      malformed.push({ line: index + 1, text: trimmed })
      return
    }
    let commit: string | undefined
    if (parts.length > 1 && COMMIT.test(parts[0]!)) commit = parts.shift()
    const entry: OldEntry = { label: trimmed, file: parts.join(':'), line: Number(lineText), rule }
    if (commit) entry.commit = commit
    entries.push(entry)
  })
  return { entries, malformed }
}

export interface GitleaksIgnoreImport {
  additions: Omit<IgnoreEntry, 'line'>[]
  recovered: Recovered[]
  unrecovered: Unrecovered[]
  malformed: MalformedLine[]
  total: number
}

/**
 * Turns `.gitleaksignore` entries (tied to a file, a line and often a commit) into `.sentraignore`
 * fingerprints (tied to the secret), by re-scanning each place with sentra's rules.
 */
export function importGitleaksIgnore(ctx: ScanContext, text: string, options: { keepPaths?: boolean } = {}): GitleaksIgnoreImport {
  const { entries, malformed } = parseGitleaksIgnore(text)
  const { recovered, unrecovered } = recoverEntries(ctx, 'gitleaks', entries)
  const additions = recovered.flatMap(({ entry, findings, by }) =>
    findings.map((finding) => {
      const addition: Omit<IgnoreEntry, 'line'> = {
        fingerprint: finding.fingerprint,
        comment: `gitleaks ${entry.rule} at ${entry.file}:${entry.line}${entry.commit ? ` (${entry.commit.slice(0, 12)})` : ''}${by === 'location' ? ', matched by location' : ''}`,
      }
      if (options.keepPaths) addition.glob = finding.file
      return addition
    }),
  )
  return { additions, recovered, unrecovered, malformed, total: entries.length + malformed.length }
}
