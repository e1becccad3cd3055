import { parentPort, workerData } from 'node:worker_threads'
import type { LoadedRule } from './patterns.js'
import { RuleSet } from './ruleset.js'
import { Scanner, type ScannerOptions } from './scanner.js'
import { scanFile, type FileJob, type FileResult } from './file-scan.js'

interface WorkerInit {
  rules: LoadedRule[]
  options: ScannerOptions
  maxFileSize: number
}

const init = workerData as WorkerInit
const scanner = new Scanner(new RuleSet(init.rules), init.options)

parentPort!.on('message', (jobs: FileJob[]) => {
  const results: FileResult[] = jobs.map((job) => scanFile(scanner, job, init.maxFileSize))
  parentPort!.postMessage(results)
})
