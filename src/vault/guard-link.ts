import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { FilePatch } from '../git/diff-parse.js'
import type { Finding, Notice } from '../scan/finding.js'
import { redact } from '../scan/redact.js'
import { knownSecretsChecker } from './known-secrets.js'

/**
 * The guard's link to the vault, loaded only when guard-trigger.ts says it is needed:
 *  - a managed path staged in plaintext, or a staged per-value file whose structure or signature is
 *    broken (a merge git made as text, a hand edit), blocks the commit;
 *  - a token of an added line that is one of the team's own decrypted values (known secrets) blocks
 *    it too, in any file.
 */
export interface VaultGuardOptions {
  root: string
  commonDir: string
  patches: readonly FilePatch[]
  /** Paths guard-trigger picked. */
  paths: readonly string[]
  knownSecrets: boolean
  env?: NodeJS.ProcessEnv
}

export function finding(rule: string, description: string, file: string, line: number, column: number, length: number, secret: string, key: string): Finding {
  return {
    rule,
    description,
    severity: 'critical',
    tags: ['sentra-vault'],
    file,
    line,
    column,
    endLine: line,
    endColumn: column + Math.max(length, 1),
    secret,
    fingerprint: `${rule}:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`,
  }
}

function checkKnownSecrets(options: VaultGuardOptions, skip: ReadonlySet<string>, findings: Finding[], notices: Notice[]): void {
  let check: ReturnType<typeof knownSecretsChecker>
  try {
    check = knownSecretsChecker(join(options.commonDir, 'sentra'))
  } catch (error) {
    notices.push({ kind: 'unreadable', message: `the known-secrets check could not run: ${(error as Error).message}` })
    return
  }
  if (!check) return
  for (const patch of options.patches) {
    if (patch.status === 'deleted' || patch.binary || patch.submodule || skip.has(patch.path)) continue
    for (let i = 0; i < patch.texts.length; i++) {
      if (!patch.added[i]) continue
      const text = patch.texts[i]!
      for (const hit of check(text)) {
        const token = text.slice(hit.column, hit.column + hit.length)
        findings.push(
          finding(
            'sentra-known-secret',
            `a secret value of ${hit.source} (one of the team's encrypted values, as decrypted on this machine) pasted in clear: remove it; keep it only in the encrypted file`,
            patch.path,
            patch.lines[i]!,
            hit.column + 1,
            hit.length,
            redact(token),
            `known:${hit.source}:${createHash('sha256').update(token).digest('hex')}`,
          ),
        )
      }
    }
  }
}

export async function checkStagedVault(options: VaultGuardOptions): Promise<{ findings: Finding[]; notices: Notice[] }> {
  const findings: Finding[] = []
  const notices: Notice[] = []
  let flagged = new Set<string>()
  if (options.paths.length > 0) {
    // The manifest, the formats and their parsers: loaded only when such a path is staged.
    const { checkManagedPaths } = await import('./guard-managed.js')
    flagged = checkManagedPaths(options, findings, notices)
  }
  if (options.knownSecrets) checkKnownSecrets(options, flagged, findings, notices)
  return { findings, notices }
}
