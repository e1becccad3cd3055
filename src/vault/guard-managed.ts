import type { FilePatch } from '../git/diff-parse.js'
import { gitSync } from '../git/exec.js'
import type { Finding, Notice } from '../scan/finding.js'
import { ManifestError } from './errors.js'
import { finding, type VaultGuardOptions } from './guard-link.js'
import { policyForPath, type TeamState } from './manifest/state.js'
import { loadTrustedTeam } from './manifest/trust.js'
import { checkValuesFile, formatByName, isValuesFormat } from './values/ops.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX } from './whole-file.js'

/**
 * The guard's checks of staged managed and encrypted files (see guard-link.ts): a managed path in
 * clear, or a per-value file whose structure or signature is broken, blocks the commit; recipient
 * drift is a note. Returns the paths it flagged.
 */
export function checkManagedPaths(options: VaultGuardOptions, findings: Finding[], notices: Notice[]): Set<string> {
  try {
    const { state } = loadTrustedTeam({ repoRoot: options.root, env: options.env, purpose: 'read', notice: (message) => notices.push({ kind: 'info', message }) })
    return checkManaged(options, state, findings, notices)
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error
    if (error.reason !== 'missing') {
      for (const path of options.paths) findings.push(finding('sentra-encrypted-file', `cannot check this encrypted or managed file: ${error.message}`, path, 1, 1, 0, path, `manifest:${path}`))
    }
    return new Set()
  }
}

function stagedText(root: string, patch: FilePatch): string {
  return gitSync(['cat-file', 'blob', patch.blob ?? `:${patch.path}`], root).toString('utf8')
}

function checkManaged(options: VaultGuardOptions, state: TeamState, findings: Finding[], notices: Notice[]): Set<string> {
  const flagged = new Set<string>()
  const byPath = new Map(options.patches.map((patch) => [patch.path, patch]))
  for (const path of options.paths) {
    const patch = byPath.get(path)
    if (!patch || patch.status === 'deleted') continue
    const isAge = path.endsWith(AGE_SUFFIX) || path.endsWith(AGE_SUFFIX + SIGNATURE_SUFFIX)
    const rule = policyForPath(state, path)
    if (rule?.format === 'binary') {
      if (!isAge) {
        flagged.add(path)
        findings.push(finding('sentra-managed-plaintext', `a managed (binary) path staged in plaintext: encrypt it (\`sentra encrypt ${path}\` writes ${path}${AGE_SUFFIX}), \`git rm --cached ${path}\` and ignore it`, path, 1, 1, 0, path, `plain:${path}`))
      }
      continue
    }
    const format = rule ? rule.format : formatByName(path)
    if (!format || !isValuesFormat(format) || patch.binary) continue
    const check = checkValuesFile(state, path, stagedText(options.root, patch), format)
    if (check.plaintext) {
      if (!rule) continue
      flagged.add(path)
      findings.push(finding('sentra-managed-plaintext', `a managed path staged in plaintext: encrypt it in place with \`sentra encrypt ${path}\`, then stage it again`, path, 1, 1, 0, path, `plain:${path}`))
      continue
    }
    for (const problem of check.problems) {
      flagged.add(path)
      findings.push(finding('sentra-encrypted-file', `a broken encrypted file: ${problem}`, path, 1, 1, 0, path, `broken:${path}:${problem}`))
    }
    for (const warning of check.warnings) notices.push({ file: path, kind: 'info', message: warning })
  }
  return flagged
}

