import type { ExposedFile, ExposedKey, ExposureReport } from './exposure.js'

/**
 * The exposure report as people read it: the total first, then per file the keys that must be changed
 * at their provider, those already changed, those deleted, and the versions that could not be checked;
 * the note on old history last. Names, commits and dates only: the report holds no value.
 */
export function renderExposureText(report: ExposureReport): string {
  const lines: string[] = []
  const removed = report.removedRecipients.join(', ')
  lines.push(`Exposure report: what ${report.member} could read (${report.removedRecipients.length === 1 ? 'key' : 'keys'} ${removed})`)
  lines.push('')
  if (report.files.length === 0) {
    lines.push(`${report.member} could not read any encrypted file of this branch's history or work tree: nothing to change at a provider.`)
  } else {
    const { mustChange, alreadyChanged, deleted, unreadableVersions } = report.summary
    lines.push(
      `${count(mustChange, 'secret')} MUST be changed at ${mustChange === 1 ? 'its' : 'their'} provider (${report.member} saw the current value)` +
        `; ${alreadyChanged} already changed since; ${deleted} deleted from ${deleted === 1 ? 'its file' : 'their files'}` +
        (unreadableVersions > 0 ? `; ${count(unreadableVersions, 'version')} could not be checked with your key` : '') +
        '.',
    )
    for (const file of report.files) lines.push('', ...renderFile(file, report.member))
  }
  lines.push('', `Note: ${report.historyNote}`)
  return `${lines.join('\n')}\n`
}

function renderFile(file: ExposedFile, member: string): string[] {
  const lines = [`${file.path}${file.kind === 'whole' ? ' (whole file)' : ''}`]
  const groups: Array<[ExposedKey['status'], string]> = [
    ['still-current', `MUST change at the provider (what ${member} saw is still current):`],
    ['changed-since', `already changed since ${member} could last read it:`],
    ['deleted', 'deleted since (change it at the provider too if it still works there):'],
  ]
  for (const [status, title] of groups) {
    const keys = file.keys.filter((key) => key.status === status)
    if (keys.length === 0) continue
    lines.push(`  ${title}`)
    const width = Math.max(...keys.map((key) => key.key.length))
    for (const key of keys) lines.push(`    ${key.key.padEnd(width)}  last readable ${where(key.lastReadable.commit, key.lastReadable.date)}`)
  }
  if (file.unreadable.length > 0) {
    lines.push(`  versions ${member} could read that your key could not decrypt (keys there that could not be compared count as still current):`)
    for (const entry of file.unreadable) lines.push(`    ${where(entry.commit, null)}: ${entry.reason}`)
  }
  return lines
}

function where(commit: string | null, date: string | null): string {
  if (commit === null) return 'in the work tree (not committed)'
  return `at ${commit.slice(0, 12)}${date ? ` (${date})` : ''}`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
