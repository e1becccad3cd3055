import { gitSync } from './exec.js'

/**
 * Of the paths git diffed as binary, those it did so because of an attribute (`-diff`, `binary`, a
 * diff driver marked binary) rather than because of a NUL byte in the content: their text can hold
 * secrets and must be read as text anyway.
 */
export function forcedBinaryPaths(repoRoot: string, paths: readonly string[]): string[] {
  if (paths.length === 0) return []
  const out = gitSync(['check-attr', '-z', '--stdin', 'diff'], repoRoot, paths.join('\0') + '\0').toString('utf8').split('\0')
  const forced: string[] = []
  for (let i = 0; i + 2 < out.length; i += 3) {
    const value = out[i + 2]
    if (value !== 'unspecified' && value !== 'set') forced.push(out[i]!)
  }
  return forced
}
