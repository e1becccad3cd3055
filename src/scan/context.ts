import { loadConfig, type SentraConfig } from '../config/config.js'
import { findRepoRoot, rootCommits } from '../git/repo.js'
import { DEFAULT_FINGERPRINT_SALT } from './fingerprint.js'
import type { Notice } from './finding.js'
import type { LoadedRule } from './patterns.js'
import { effectiveRules } from './rules-from-config.js'

/** Everything a scan needs to know about where it runs: repo, config, rules and salt. */
export interface ScanContext {
  /** The git work tree root, or undefined outside a repository. */
  repoRoot?: string
  /** Directory paths are reported relative to: the repo root, else the working directory. */
  baseDir: string
  config: SentraConfig
  rules: LoadedRule[]
  salt: string
  notices: Notice[]
}

export function saltFor(config: SentraConfig, repoRoot: string | undefined, notices: Notice[]): string {
  if (config.fingerprintSalt) return config.fingerprintSalt
  if (repoRoot) {
    const roots = rootCommits(repoRoot)
    if (roots.length > 0) return `root:${roots[0]}`
  }
  notices.push({
    kind: 'salt',
    message: 'no repository root commit and no fingerprintSalt in config: fingerprints use the default salt',
  })
  return DEFAULT_FINGERPRINT_SALT
}

export function createScanContext(cwd: string, options: { config?: SentraConfig } = {}): ScanContext {
  const repoRoot = findRepoRoot(cwd)
  const baseDir = repoRoot ?? cwd
  const config = options.config ?? loadConfig(baseDir).config
  const notices: Notice[] = []
  const salt = saltFor(config, repoRoot, notices)
  const ctx: ScanContext = { baseDir, config, rules: effectiveRules(config), salt, notices }
  if (repoRoot) ctx.repoRoot = repoRoot
  return ctx
}
