import type { SentraConfig } from '../config/config.js'
import { useColor } from '../cli/output.js'
import { repoLayout, type RepoLayout } from '../git/layout.js'
import { mergeParents } from '../git/staged.js'
import type { ReportFormat } from '../report/index.js'
import type { ScanContext } from '../scan/context.js'
import type { Notice } from '../scan/finding.js'
import type { LoadedRule } from '../scan/patterns.js'
import type { ScanReport } from '../scan/report-data.js'
import type { Severity } from '../scan/rule.js'
import { scanStaged } from '../scan/sources/staged.js'
import { guardRules } from './compiled-rules.js'
import type { FilePatch } from '../git/diff-parse.js'
import { vaultTriggers } from '../vault/guard-trigger.js'

// On a clean commit the guard loads only what the staged scan needs; the history scan (pre-push),
// the salt, suppressions and the report renderers are imported when they are needed.

export interface GuardOptions {
  cwd: string
  /** Scan what a push adds, from git's pre-push lines (`stdin`), instead of the staged change. */
  prePush?: boolean
  /** The pre-push lines git wrote to the hook's standard input. */
  stdin?: string
  format: ReportFormat
  /** --color / --no-color; unset: colour on a terminal (decided only when there is something to print). */
  color?: boolean
  verbose?: boolean
  noRedact?: boolean
  config?: string
  baseline?: string
  failOn?: Severity
  env?: NodeJS.ProcessEnv
  /** Where the history scanning thread's script is, for a bundled entry. */
  workerUrl?: URL
  write?: (text: string) => void
}

/** The fingerprint salt of a repository (derived from its root commit unless configured); memoised. */
function saltSource(root: string, config: SentraConfig, notices: Notice[]): () => Promise<string> {
  let salt: Promise<string> | undefined
  return () => (salt ??= import('../scan/context.js').then(({ saltFor }) => saltFor(config, root, notices)))
}

type Target = { kind: 'staged' } | { kind: 'push'; revs: string[] | undefined }

/**
 * What to scan. A pre-push hook gets the pushed refs on stdin; the pre-commit framework runs its
 * pre-push stage with PRE_COMMIT_FROM_REF/TO_REF (or, for a push that includes the root commit,
 * only the local branch) in the environment instead.
 */
async function target(options: GuardOptions, root: string): Promise<Target> {
  const env = options.env ?? process.env
  const from = env.PRE_COMMIT_FROM_REF
  const to = env.PRE_COMMIT_TO_REF
  const local = env.PRE_COMMIT_LOCAL_BRANCH
  if (!options.prePush && !(from && to) && !(local && env.PRE_COMMIT_REMOTE_NAME)) return { kind: 'staged' }
  const { checkRevision, parsePushUpdates, pushRevs } = await import('../git/revs.js')
  if (options.prePush) return { kind: 'push', revs: pushRevs(root, parsePushUpdates(options.stdin ?? '')) }
  if (from && to) return { kind: 'push', revs: [checkRevision(to, 'PRE_COMMIT_TO_REF'), '--not', checkRevision(from, 'PRE_COMMIT_FROM_REF'), '--remotes'] }
  return { kind: 'push', revs: [checkRevision(local!, 'PRE_COMMIT_LOCAL_BRANCH'), '--not', '--remotes'] }
}

const PUSH_HINT =
  'Push blocked: the commits above add secrets. Rotate each secret that was real, then rewrite the commits that added it before pushing ' +
  '(`git rebase -i <commit>^`, mark the commit `edit`, remove the secret, `git commit --amend`, `git rebase --continue`). ' +
  'A false positive: add `sentra:allow` in a comment on its line, or its fingerprint to .sentraignore.'

const EMPTY: ScanReport = { findings: [], notices: [], stats: { files: 0, bytes: 0, skipped: 0, findings: 0, durationMs: 0 } }

async function scanPush(layout: RepoLayout, config: SentraConfig, rules: LoadedRule[], revs: string[], options: GuardOptions): Promise<ScanReport> {
  const [{ scanHistory }, { saltFor }] = await Promise.all([import('../scan/sources/history.js'), import('../scan/context.js')])
  const notices: Notice[] = []
  const ctx: ScanContext = { repoRoot: layout.root, baseDir: layout.root, config, rules, salt: saltFor(config, layout.root, notices), notices }
  return scanHistory(ctx, layout.root, {
    selection: { kind: 'revs', revs },
    noRedact: options.noRedact === true,
    ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}),
  })
}

/**
 * With SENTRA_GUARD_TIMING=1, one line on stderr with the time (ms since the process started) at
 * which each phase ended: what `npm run bench` reports as where a hook's time goes.
 */
function timing(env: NodeJS.ProcessEnv): { mark: (phase: string) => void; report: () => void } {
  if (env.SENTRA_GUARD_TIMING !== '1') return { mark: () => {}, report: () => {} }
  const marks: string[] = [`started ${(process.uptime() * 1000).toFixed(1)}`]
  return {
    mark: (phase) => marks.push(`${phase} ${(process.uptime() * 1000).toFixed(1)}`),
    report: () => process.stderr.write(`sentra guard timing (ms since start): ${marks.join(', ')}\n`),
  }
}

/** Runs the guard and writes its report; returns the exit code (0 clean, 1 findings). Throws on errors (exit 2). */
export async function runGuard(options: GuardOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  const env = options.env ?? process.env
  const time = timing(env)
  const layout = repoLayout(options.cwd, env)
  time.mark('repo')
  const guard = await guardRules(layout.root, layout.commonDir, options.config)
  time.mark(`rules(${guard.cache})`)
  const what = await target(options, layout.root)
  let report: ScanReport
  if (what.kind === 'push') {
    report = what.revs ? await scanPush(layout, guard.config, guard.rules, what.revs, options) : EMPTY
    time.mark('scan')
  } else {
    const notices: Notice[] = []
    let patches: readonly FilePatch[] = []
    report = await scanStaged(
      { repoRoot: layout.root, config: guard.config, ruleSet: guard.ruleSet, skip: guard.skip, salt: saltSource(layout.root, guard.config, notices), notices: () => notices },
      { noRedact: options.noRedact === true, mergeParents: mergeParents(layout, env), onDiff: () => time.mark('diff'), onPatches: (staged) => (patches = staged) },
    )
    // Encrypted files: managed paths in clear, broken signatures, the team's own secrets pasted
    // elsewhere. The vault code loads only when one of those can apply.
    time.mark('scan')
    const triggers = vaultTriggers(layout.root, layout.commonDir, patches)
    if (triggers.paths.length > 0 || triggers.knownSecrets) {
      const { checkStagedVault } = await import('../vault/guard-link.js')
      const vault = await checkStagedVault({ root: layout.root, commonDir: layout.commonDir, patches, paths: triggers.paths, knownSecrets: triggers.knownSecrets, env })
      report = { ...report, findings: [...report.findings, ...vault.findings], notices: [...report.notices, ...vault.notices], stats: { ...report.stats, findings: report.findings.length + vault.findings.length } }
    }
    time.mark('vault')
  }
  let fails = false
  if (report.findings.length > 0 || options.baseline !== undefined) {
    const { applyPolicy } = await import('../suppress/index.js')
    const outcome = applyPolicy(report, {
      root: layout.root,
      cwd: options.cwd,
      ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
      ...(options.failOn ? { failOn: options.failOn } : {}),
    })
    report = outcome.report
    fails = outcome.fails
  }
  // A clean commit prints nothing, unless something was skipped that the user should know about.
  const quiet = options.format === 'text' && !options.verbose && report.findings.length === 0 &&
    !report.notices.some((notice) => notice.kind !== 'binary' && notice.kind !== 'encrypted' && notice.kind !== 'info')
  if (!quiet) {
    const { renderReport } = await import('../report/index.js')
    const context = what.kind === 'push' ? 'scan' : 'guard'
    const color = options.format === 'text' && useColor(options.color)
    let output = renderReport(report, options.format, { color, verbose: options.verbose === true, context }, options.failOn ? { failOn: options.failOn } : {})
    if (what.kind === 'push' && options.format === 'text' && report.findings.length > 0) {
      // The renderer's general advice (its last line) gives way to the push-specific one.
      const lines = output.trimEnd().split('\n')
      if (lines[lines.length - 1]!.startsWith('Remove each secret')) lines.pop()
      output = `${lines.join('\n')}\n${PUSH_HINT}\n`
    }
    write(output)
  }
  time.mark('report')
  time.report()
  return fails ? 1 : 0
}
