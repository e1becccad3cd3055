/**
 * Inline suppression markers, in any comment syntax, including the ones other scanners taught
 * people to write: a marker on the finding's own line, or a next-line marker on the line before.
 */
const SAME_LINE = /sentra:allow(?!-next-line)|gitleaks:allow|pragma:\s*allowlist[ -]secret/i
const NEXT_LINE = /sentra:allow-next-line|pragma:\s*allowlist[ -]nextline[ -]secret/i

export function allowedInline(line: string, previousLine: string | undefined): boolean {
  if (SAME_LINE.test(line)) return true
  return previousLine !== undefined && NEXT_LINE.test(previousLine)
}
