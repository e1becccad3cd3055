import type { CommitInfo } from '../scan/finding.js'
import { DiffParser, type FilePatch } from './diff-parse.js'
import { GitError, SAFE_DIFF_ARGS, gitSpawn, gitSync } from './exec.js'

export interface CommitPatches {
  info: CommitInfo
  parents: string[]
  files: FilePatch[]
}

export interface LogOptions {
  /** Lines of context around changes (1 gives next-line allow markers the line above an addition). */
  context?: number
}

// Each commit starts with a line beginning with NUL, which no diff line can: a patch line starts with
// ' ', '+', '-' or '\', and a header line with a letter.
const FORMAT = '--format=%x00%H%x00%P%x00%an%x00%ae%x00%aI'
/** Characters of git output read ahead of the scan at most. */
const MAX_QUEUED = 32 * 1024 * 1024

/**
 * Arguments of the `git log -p` that history scans read: exactly the commits given on stdin, in
 * that order. Merges show only what the merge itself adds (conflict resolutions, "evil" merges):
 * the merged branch's own commits are in the list. --root: the first commit's diff too.
 */
export function logArgs(options: LogOptions = {}): string[] {
  return [
    'log', '-p', FORMAT, `-U${options.context ?? 1}`, ...SAFE_DIFF_ARGS,
    '--diff-merges=dense-combined', '--root', '--no-walk=unsorted', '--stdin', '--no-notes', '--no-decorate', '--no-mailmap',
  ]
}

/**
 * The commits of a selection, oldest first and parents before children, so that the first
 * sighting of a secret in this order is where it was introduced.
 */
export function listCommits(repoRoot: string, revs: readonly string[]): string[] {
  return gitSync(['rev-list', '--topo-order', '--reverse', ...revs, '--'], repoRoot).toString('utf8').split('\n').filter(Boolean)
}

/** History that needs blobs a partial clone does not have: sentra never downloads them. */
export class PartialCloneError extends Error {
  constructor() {
    super(
      'this partial clone lacks file contents of older commits, and sentra never downloads them (GIT_NO_LAZY_FETCH=1): ' +
        'scan the history in a full clone (git clone without --filter), or fetch the missing blobs first',
    )
  }
}

function parseHeader(line: string): CommitPatches {
  const [, commit = '', parents = '', author = '', email = '', date = ''] = line.split('\0')
  return { info: { commit, author, email, date }, parents: parents.split(' ').filter(Boolean), files: [] }
}

/** Streams `git log -p` of the given commits, commit by commit, in their order. */
export async function* logCommits(repoRoot: string, commits: readonly string[], options: LogOptions = {}): AsyncGenerator<CommitPatches> {
  if (commits.length === 0) return
  const args = logArgs(options)
  const child = gitSpawn(args, repoRoot, { stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin!.on('error', () => {})
  child.stdin!.end(`${commits.join('\n')}\n`)
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk
  })
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  exit.catch(() => {})
  // git's output is read as it comes, not when the scan asks for it: otherwise git would wait on a
  // full pipe while sentra scans, and the two would take turns instead of running side by side.
  // The queue is bounded: past MAX_QUEUED, reading pauses until the scan catches up.
  const queue: string[] = []
  let queued = 0
  let ended = false
  let wake: (() => void) | undefined
  const stdout = child.stdout!
  stdout.setEncoding('utf8')
  stdout.on('data', (chunk: string) => {
    queue.push(chunk)
    queued += chunk.length
    if (queued > MAX_QUEUED) stdout.pause()
    wake?.()
  })
  stdout.on('end', () => {
    ended = true
    wake?.()
  })
  stdout.on('error', () => {
    ended = true
    wake?.()
  })
  let current: CommitPatches | undefined
  const parser = new DiffParser((file) => current?.files.push(file))
  let rest = ''
  let finished = false
  try {
    for (;;) {
      if (queue.length === 0) {
        if (ended) break
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
        continue
      }
      const chunk = queue.shift()!
      queued -= chunk.length
      if (stdout.isPaused() && queued < MAX_QUEUED / 2) stdout.resume()
      const text = rest + chunk
      let start = 0
      let end = text.indexOf('\n')
      while (end !== -1) {
        const line = text.slice(start, end)
        if (line.charCodeAt(0) === 0) {
          parser.flush()
          if (current) yield current
          current = parseHeader(line)
        } else parser.push(line)
        start = end + 1
        end = text.indexOf('\n', start)
      }
      rest = text.slice(start)
      // Between chunks, let pending reads of the pipe run (a yield alone only runs microtasks).
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    if (rest !== '') parser.push(rest)
    parser.flush()
    const code = await exit
    if (code !== 0) {
      if (/promisor remote|lazy fetching disabled/.test(stderr)) throw new PartialCloneError()
      throw new GitError(args, stderr, code)
    }
    finished = true
    if (current) yield current
  } finally {
    if (!finished) child.kill()
  }
}
