/**
 * Inline suppression markers, in any comment syntax, including the ones other scanners taught
 * people to write: a marker on the finding's own line, or a next-line marker on the line before.
 */
// `sentra:allow` must end there (not `sentra:allowed`, not `sentra:allow-next-line`); `gitleaks:allow`
// matches anywhere, as gitleaks itself does.
const SAME_LINE = /sentra:allow(?![\w-])|gitleaks:allow|pragma:\s*allowlist[ -]secret/i
const NEXT_LINE = /sentra:allow-next-line(?![\w-])|pragma:\s*allowlist[ -]nextline[ -]secret/i

export function allowedInline(line: string, previousLine: string | undefined): boolean {
  if (SAME_LINE.test(line)) return true
  return previousLine !== undefined && NEXT_LINE.test(previousLine)
}
