import type { Recovered, Unrecovered } from './rescan.js'

/** Lines telling what each old entry became, for the import commands' text output. */
export function describeRecovery(recovered: readonly Recovered[], unrecovered: readonly Unrecovered[]): string[] {
  const lines: string[] = []
  for (const { entry, findings, by } of recovered) {
    const how = by === 'secret-hash' ? 'same secret' : by === 'rule' ? 'mapped rule on that line' : 'matched by location only: check it'
    lines.push(`  + ${entry.label} -> ${findings.map((f) => f.fingerprint).join(', ')} (${how})`)
  }
  for (const { entry, reason } of unrecovered) lines.push(`  - ${entry.label}: ${reason}`)
  return lines
}
