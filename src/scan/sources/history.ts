import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { forcedBinaryPaths } from '../../git/attributes.js'
import { readBlobs } from '../../git/cat-file.js'
import { listCommits, logCommits } from '../../git/log-stream.js'
import { selectionRevs, type HistorySelection } from '../../git/revs.js'
import type { ScanContext } from '../context.js'
import { DEFAULT_MAX_FILE_SIZE } from '../defaults.js'
import type { CommitInfo, Finding, Notice } from '../finding.js'
import type { ScanReport } from '../report-data.js'
import { RuleSet } from '../ruleset.js'
import { pathFilter } from '../scan-paths.js'
import { Scanner, type ScannerOptions } from '../scanner.js'
import { looksBinary } from '../text.js'
import { scanCommit, type CommitJob, type CommitResult } from './history-scan.js'
import { addsContent, patchText, scanWholeText } from './patch-scan.js'

export interface HistoryScanOptions {
  selection: HistorySelection
  noRedact?: boolean
  includeFixtures?: boolean
  /**
   * Scanning threads besides the one reading git's output: 0 scans on the main thread. Default:
   * none at first, then one per core once the history has proven large.
   */
  threads?: number
  /** Called after each commit read, with the number of commits read so far and the total. */
  onProgress?: (done: number, total: number) => void
  /** Where the scanning thread's script is (a bundled entry passes its own). */
  workerUrl?: URL
}

/** Patch text read on the main thread before worker threads are worth their start-up. */
const AUTO_THREADS_AFTER_BYTES = 8 * 1024 * 1024
/**
 * Producing the patches (`git log -p`) costs git more than scanning them costs sentra: past this
 * many commits, the list is cut into contiguous parts that as many git processes produce at once.
 */
const PARALLEL_LOG_MIN_COMMITS = 400
const BATCH_BYTES = 512 * 1024
const IN_FLIGHT_PER_WORKER = 2

/** Worker threads that scan batches of commits; at most a few batches in flight each. */
class CommitPool {
  private readonly workers: Worker[]
  private readonly idle: Worker[] = []
  private readonly waiting: (() => void)[] = []
  private readonly inFlight = new Map<Worker, number>()
  private failure: Error | undefined
  private pending = 0
  private drained: (() => void) | undefined

  constructor(count: number, url: URL, init: { rules: ScanContext['rules']; options: ScannerOptions }, private readonly onResults: (results: CommitResult[]) => void) {
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(url, { workerData: init })
      worker.on('message', (results: CommitResult[]) => {
        this.onResults(results)
        this.inFlight.set(worker, (this.inFlight.get(worker) ?? 1) - 1)
        this.pending--
        this.waiting.shift()?.()
        if (this.pending === 0) this.drained?.()
      })
      worker.on('error', (error) => {
        this.failure = error
        this.waiting.splice(0).forEach((wake) => wake())
        this.drained?.()
      })
      this.inFlight.set(worker, 0)
      return worker
    })
  }

  async submit(batch: CommitJob[]): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure
      const worker = this.workers.reduce((best, w) => (this.inFlight.get(w)! < this.inFlight.get(best)! ? w : best))
      if (this.inFlight.get(worker)! < IN_FLIGHT_PER_WORKER) {
        this.inFlight.set(worker, this.inFlight.get(worker)! + 1)
        this.pending++
        worker.postMessage(batch)
        return
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
  }

  async finish(): Promise<void> {
    if (this.pending > 0 && !this.failure) await new Promise<void>((resolve) => (this.drained = resolve))
    await Promise.all(this.workers.map((worker) => worker.terminate()))
    if (this.failure) throw this.failure
  }
}

/** Keeps, for each secret (fingerprint), its first sighting in the walk. */
class Introductions {
  private readonly first = new Map<string, { seq: number; finding: Finding }>()
  repeats = 0

  add(seq: number, finding: Finding): void {
    const known = this.first.get(finding.fingerprint)
    if (known === undefined) this.first.set(finding.fingerprint, { seq, finding })
    else {
      this.repeats++
      if (seq < known.seq || (seq === known.seq && finding.line < known.finding.line)) this.first.set(finding.fingerprint, { seq, finding })
    }
  }

  findings(): Finding[] {
    return [...this.first.values()].sort((a, b) => a.seq - b.seq || a.finding.file.localeCompare(b.finding.file) || a.finding.line - b.finding.line).map((entry) => entry.finding)
  }
}

/**
 * Scans the lines added by a range of commits, streaming `git log -p` (never the whole history in
 * memory): each finding names its commit, author and date, and a secret seen in many commits is
 * reported once, where it was introduced.
 */
export async function scanHistory(ctx: ScanContext, repoRoot: string, options: HistoryScanOptions): Promise<ScanReport> {
  const started = Date.now()
  const revs = selectionRevs(options.selection)
  const skip = pathFilter(ctx, options.includeFixtures)
  const scannerOptions: ScannerOptions = { salt: ctx.salt, noRedact: options.noRedact === true }
  const scanner = new Scanner(new RuleSet(ctx.rules), scannerOptions)
  const introductions = new Introductions()
  const notices: Notice[] = [...ctx.notices]
  let bytes = 0
  const collect = (results: CommitResult[]) => {
    for (const result of results) {
      for (const finding of result.findings) introductions.add(result.seq, finding)
      notices.push(...result.notices)
      bytes += result.bytes
    }
  }
  const maxThreads = options.threads ?? Math.min(availableParallelism(), 4)
  const autoThreads = options.threads === undefined
  let pool: CommitPool | undefined
  const startPool = () =>
    new CommitPool(maxThreads, options.workerUrl ?? new URL('./history-worker.js', import.meta.url), { rules: ctx.rules, options: scannerOptions }, collect)

  const commits = listCommits(repoRoot, revs)
  const parts = commits.length >= PARALLEL_LOG_MIN_COMMITS ? Math.min(availableParallelism(), 4) : 1
  const size = Math.ceil(commits.length / parts)
  let done = 0
  let files = 0
  let skipped = 0
  let binaries = 0
  let readBytes = 0
  let batch: CommitJob[] = []
  let batchBytes = 0
  const forced: { seq: number; info: CommitInfo; path: string; blob: string }[] = []
  // Each part keeps its commits' places in the whole list: `seq` orders sightings across parts.
  const readPart = async (first: number) => {
    let seq = first
    for await (const commit of logCommits(repoRoot, commits.slice(first, first + size))) {
      const job: CommitJob = { seq: seq++, info: commit.info, patches: [] }
      let jobBytes = 0
      for (const patch of commit.files) {
        if (!addsContent(patch)) continue
        if (skip(patch.path) !== undefined) {
          skipped++
          continue
        }
        if (patch.binary) {
          if (patch.blob) forced.push({ seq: job.seq, info: commit.info, path: patch.path, blob: patch.blob })
          continue
        }
        const text = patchText(patch)
        jobBytes += text.text.length
        job.patches.push(text)
        files++
      }
      readBytes += jobBytes
      if (job.patches.length > 0) {
        if (!pool && maxThreads > 1 && (!autoThreads || readBytes > AUTO_THREADS_AFTER_BYTES)) pool = startPool()
        if (pool) {
          batch.push(job)
          batchBytes += jobBytes
          if (batchBytes >= BATCH_BYTES) {
            // Swapped before waiting: another part may add jobs meanwhile.
            const full = batch
            batch = []
            batchBytes = 0
            await pool.submit(full)
          }
        } else collect([scanCommit(scanner, job)])
      }
      options.onProgress?.(++done, commits.length)
    }
  }
  try {
    await Promise.all(Array.from({ length: parts }, (_, part) => readPart(part * size)))
    if (pool && batch.length > 0) await pool.submit(batch)
    if (pool) await pool.finish()
  } catch (error) {
    if (pool) await pool.finish().catch(() => {})
    throw error
  }

  // Files git diffed as binary: really binary (skipped), or text hidden by a .gitattributes entry
  // (`-diff`, `binary`), whose every version is then scanned whole.
  if (forced.length > 0) {
    const hidden = new Set(forcedBinaryPaths(repoRoot, [...new Set(forced.map((entry) => entry.path))]))
    const maxSize = ctx.config.scan?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE
    const toRead = forced.filter((entry) => hidden.has(entry.path))
    const blobs = await readBlobs(repoRoot, toRead.map((entry) => entry.blob), maxSize)
    binaries += forced.length - toRead.length
    for (const entry of toRead) {
      const blob = blobs.get(entry.blob)
      if (blob?.kind !== 'ok' || looksBinary(blob.bytes)) {
        binaries++
        continue
      }
      const result = scanWholeText(scanner, blob.bytes.toString('utf8'), entry.path)
      files++
      bytes += result.bytes
      for (const finding of result.findings) {
        finding.commit = entry.info
        introductions.add(entry.seq, finding)
      }
    }
  }
  if (binaries > 0) notices.push({ kind: 'binary', message: `${binaries} binary file version${binaries === 1 ? '' : 's'} skipped` })
  const findings = introductions.findings()
  if (introductions.repeats > 0) {
    notices.push({ kind: 'info', message: `${introductions.repeats} later sighting${introductions.repeats === 1 ? '' : 's'} of secrets already reported not listed (each secret is reported where it was introduced)` })
  }
  return {
    findings,
    notices,
    stats: { files, bytes, skipped: skipped + binaries, findings: findings.length, durationMs: Date.now() - started },
  }
}
