import { Flags } from '@oclif/core'
import cliProgress from 'cli-progress'
import { UserError } from './errors.js'
import { RevisionError, type HistorySelection } from '../git/revs.js'
import { mergeParents } from '../git/staged.js'
import { NotARepositoryError, repoLayout, type RepoLayout } from '../git/layout.js'
import type { ScanContext } from '../scan/context.js'
import type { ScanReport } from '../scan/report-data.js'
import { RuleSet } from '../scan/ruleset.js'
import { pathFilter } from '../scan/scan-paths.js'
import { scanHistory } from '../scan/sources/history.js'
import { scanStaged, stagedSetup } from '../scan/sources/staged.js'

const SOURCES = ['staged', 'history', 'since', 'range', 'commits']
const others = (name: string) => [...SOURCES.filter((source) => source !== name), 'stdin']

/** `sentra scan` flags that read from git instead of the work tree. */
export const GIT_SCAN_FLAGS = {
  staged: Flags.boolean({ description: 'Scan what is staged for the next commit (the lines it adds), as `sentra guard` does.', exclusive: others('staged') }),
  history: Flags.boolean({ description: 'Scan every commit reachable from any branch or tag (the lines each commit added).', exclusive: others('history') }),
  since: Flags.string({ description: 'Scan the commits on HEAD since REF (REF..HEAD).', helpValue: 'REF', exclusive: others('since') }),
  range: Flags.string({ description: 'Scan the commits of a range, A..B (what pushing B over A would add).', helpValue: 'A..B', exclusive: others('range') }),
  commits: Flags.integer({ description: 'Scan the last N commits of HEAD.', helpValue: 'N', min: 1, exclusive: others('commits') }),
}

interface GitScanFlags {
  staged?: boolean
  history?: boolean
  since?: string
  range?: string
  commits?: number
}

export interface GitScanOptions {
  cwd: string
  paths: string[]
  noRedact: boolean
  includeFixtures?: boolean
  threads?: number
  /** Show a progress bar (on a terminal, not for --json). */
  progress: boolean
}

function selection(flags: GitScanFlags): HistorySelection | 'staged' | undefined {
  if (flags.staged) return 'staged'
  if (flags.history) return { kind: 'all' }
  if (flags.since !== undefined) return { kind: 'since', ref: flags.since }
  if (flags.range !== undefined) return { kind: 'range', range: flags.range }
  if (flags.commits !== undefined) return { kind: 'commits', count: flags.commits }
  return undefined
}

/** A progress bar of commits on stderr, started at the first progress report; inert when not on a terminal. */
function progressBar(): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  let bar: cliProgress.SingleBar | undefined
  return {
    update: (done, total) => {
      if (!bar) {
        if (total < 2) return
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: 'history |{bar}| {value}/{total} commits | {duration_formatted}', hideCursor: true, clearOnComplete: true, fps: 10 },
          cliProgress.Presets.shades_classic,
        )
        bar.start(total, 0)
      }
      bar.update(done)
    },
    stop: () => bar?.stop(),
  }
}

/**
 * Runs the git-sourced scan the flags ask for (--staged, --history, --since, --range, --commits),
 * or returns undefined when they ask for none.
 */
export async function runGitScan(ctx: ScanContext, flags: GitScanFlags, options: GitScanOptions): Promise<ScanReport | undefined> {
  const what = selection(flags)
  if (what === undefined) return undefined
  if (options.paths.length > 0) throw new UserError('paths cannot be combined with --staged, --history, --since, --range or --commits')
  let layout: RepoLayout
  try {
    layout = repoLayout(options.cwd)
  } catch (error) {
    if (error instanceof NotARepositoryError) throw new UserError(`${error.message}: --staged and the history options scan a git repository`)
    throw error
  }
  const root = layout.root
  if (what === 'staged') {
    const setup = stagedSetup(ctx, root, new RuleSet(ctx.rules), pathFilter(ctx, options.includeFixtures))
    return scanStaged(setup, { noRedact: options.noRedact, mergeParents: mergeParents(layout) })
  }
  const bar = options.progress ? progressBar() : undefined
  try {
    return await scanHistory(ctx, root, {
      selection: what,
      noRedact: options.noRedact,
      ...(options.includeFixtures ? { includeFixtures: true } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(bar ? { onProgress: bar.update } : {}),
    })
  } catch (error) {
    if (error instanceof RevisionError) throw new UserError(error.message)
    throw error
  } finally {
    bar?.stop()
  }
}
