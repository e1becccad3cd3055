import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import micromatch from 'micromatch'
import { gitSync } from '../git/exec.js'
import { ManifestError } from './errors.js'
import { activeMembers, type TeamState } from './manifest/state.js'
import { checkExtendsBase, loadTrustedTeam } from './manifest/trust.js'
import { AGE_SUFFIX, SIGNATURE_SUFFIX, checkWholeFileSignature, wholeFilePolicy } from './whole-file.js'
import { verifyValuesFiles } from './values/verify-values.js'

export interface VerifyProblem {
  kind: string
  message: string
  path?: string
}

export interface VerifyReport {
  version: 1
  ok: boolean
  team?: { name: string; root: string; head: string; entries: number; members: number }
  problems: VerifyProblem[]
  notices: string[]
  checkedFiles: number
}

export interface VerifyOptions {
  repoRoot: string
  env?: NodeJS.ProcessEnv
  root?: string
  base?: string
  /** Limit file checks to these repo-relative paths (default: every managed and .age file). */
  paths?: string[]
}

/**
 * Checks, with public data only: the manifest chain and its trust anchor, that it extends the base
 * (a change may only append), and every whole-file `.age` file: signed by a current member who may
 * write it, bound to its path, unchanged since signing, addressed to exactly the team's recipients;
 * and every per-value file (values/verify-values.ts).
 */
export function verifyRepository(options: VerifyOptions): VerifyReport {
  const notices: string[] = []
  const problems: VerifyProblem[] = []
  let state: TeamState
  try {
    const trusted = loadTrustedTeam({ repoRoot: options.repoRoot, env: options.env, expectedRoot: options.root, purpose: 'verify', notice: (message) => notices.push(message) })
    state = trusted.state
    if (options.base) checkExtendsBase(options.repoRoot, trusted.working, options.base)
  } catch (error) {
    if (error instanceof ManifestError) return { version: 1, ok: false, problems: [{ kind: error.kind, message: error.message }], notices, checkedFiles: 0 }
    throw error
  }
  const files = repositoryFiles(options.repoRoot, options.paths)
  let checkedFiles = 0
  for (const path of files.all) {
    if (path.endsWith(AGE_SUFFIX) && existsSync(join(options.repoRoot, path))) {
      checkedFiles++
      const ciphertext = new Uint8Array(readFileSync(join(options.repoRoot, path)))
      const sigFile = join(options.repoRoot, path + SIGNATURE_SUFFIX)
      const check = checkWholeFileSignature(state, path, ciphertext, existsSync(sigFile) ? readFileSync(sigFile, 'utf8') : undefined)
      for (const message of check.problems) problems.push({ kind: 'file-signature', path, message })
      for (const message of check.warnings) problems.push({ kind: 'recipients', path, message })
    }
  }
  // Per-value files (dotenv/JSON/YAML encrypted in place) are checked by their own module.
  const values = verifyValuesFiles(state, options.repoRoot, files.all, new Set(files.tracked))
  checkedFiles += values.checked
  problems.push(...values.problems)
  // A managed whole-file path must never be committed in clear.
  const binaryGlobs = state.policy.filter((rule) => rule.format === 'binary').map((rule) => rule.glob)
  if (binaryGlobs.length > 0) {
    for (const path of files.tracked) {
      if (path.endsWith(AGE_SUFFIX) || path.endsWith(SIGNATURE_SUFFIX)) continue
      if (micromatch.isMatch(path, binaryGlobs, { dot: true }) && wholeFilePolicy(state, path)?.format === 'binary') {
        problems.push({ kind: 'plaintext', path, message: `${path} is a managed (binary) path but is committed in plaintext: encrypt it (sentra encrypt ${path}), \`git rm --cached\` it and ignore it` })
      }
    }
  }
  return {
    version: 1,
    ok: problems.length === 0,
    team: { name: state.team, root: state.root, head: state.head, entries: state.entries.length, members: activeMembers(state).length },
    problems,
    notices,
    checkedFiles,
  }
}

function repositoryFiles(repoRoot: string, paths: string[] | undefined): { all: string[]; tracked: string[] } {
  const spec = paths && paths.length > 0 ? paths : []
  const split = (out: Buffer) => out.toString('utf8').split('\0').filter(Boolean)
  const tracked = split(gitSync(['ls-files', '-z', '--cached', '--', ...spec], repoRoot))
  const untracked = split(gitSync(['ls-files', '-z', '--others', '--exclude-standard', '--', ...spec], repoRoot))
  return { all: [...new Set([...tracked, ...untracked])].sort(), tracked }
}
