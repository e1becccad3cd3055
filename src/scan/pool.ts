import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { LoadedRule } from './patterns.js'
import { RuleSet } from './ruleset.js'
import { Scanner, type ScannerOptions } from './scanner.js'
import { scanFile, type FileJob, type FileResult } from './file-scan.js'

export interface PoolOptions {
  rules: LoadedRule[]
  options: ScannerOptions
  maxFileSize: number
  /** Worker threads to use; 0 scans on the main thread. Default: one per core for large inputs. */
  threads?: number
  onProgress?: (done: number, total: number) => void
}

const BATCH = 24
/** Below this many files, starting workers (~40 ms each) costs more than it saves. */
const PARALLEL_MIN_FILES = 200

/** Scans files in order-independent batches, on worker threads when the input is large enough. */
export async function scanFiles(jobs: FileJob[], pool: PoolOptions): Promise<FileResult[]> {
  const threads = pool.threads ?? (jobs.length >= PARALLEL_MIN_FILES ? Math.min(availableParallelism(), 8) : 0)
  if (threads <= 1) {
    const scanner = new Scanner(new RuleSet(pool.rules), pool.options)
    return jobs.map((job, i) => {
      const result = scanFile(scanner, job, pool.maxFileSize)
      pool.onProgress?.(i + 1, jobs.length)
      return result
    })
  }
  const results: FileResult[] = new Array(jobs.length)
  let next = 0
  let done = 0
  const workerUrl = new URL('./worker.js', import.meta.url)
  const run = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      const feed = () => {
        if (next >= jobs.length) {
          resolve()
          return
        }
        const start = next
        const batch = jobs.slice(start, start + BATCH)
        next += batch.length
        worker.once('message', (batchResults: FileResult[]) => {
          batchResults.forEach((result, i) => (results[start + i] = result))
          done += batchResults.length
          pool.onProgress?.(done, jobs.length)
          feed()
        })
        worker.postMessage(batch)
      }
      worker.once('error', reject)
      feed()
    })
  const workers = Array.from(
    { length: threads },
    () => new Worker(workerUrl, { workerData: { rules: pool.rules, options: pool.options, maxFileSize: pool.maxFileSize } }),
  )
  try {
    await Promise.all(workers.map(run))
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
  return results
}
