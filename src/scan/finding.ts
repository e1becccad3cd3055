import type { Severity } from './rule.js'

/** Where a finding was seen in git history, when the source is a commit. */
export interface CommitInfo {
  commit: string
  author: string
  email: string
  date: string
}

export interface Finding {
  rule: string
  description: string
  severity: Severity
  tags: string[]
  file: string
  /** 1-based line and column (UTF-16 code units) of the secret's first character. */
  line: number
  column: number
  endLine: number
  endColumn: number
  /** The secret, redacted unless the scan was asked not to redact. */
  secret: string
  /** `rule:hmac` — depends on neither path nor line, so ignores survive edits and renames. */
  fingerprint: string
  commit?: CommitInfo
}

/** A notice about something the scan skipped or could only partly do; never silent. */
export interface Notice {
  file?: string
  kind: 'binary' | 'too-large' | 'long-line' | 'unreadable' | 'encrypted' | 'salt' | 'info'
  message: string
}

export interface ScanStats {
  files: number
  bytes: number
  skipped: number
  findings: number
  durationMs: number
}
