import { parentPort, workerData } from 'node:worker_threads'
import type { LoadedRule } from '../patterns.js'
import { RuleSet } from '../ruleset.js'
import { Scanner, type ScannerOptions } from '../scanner.js'
import { scanCommit, type CommitJob, type CommitResult } from './history-scan.js'

interface WorkerInit {
  rules: LoadedRule[]
  options: ScannerOptions
}

const init = workerData as WorkerInit
const scanner = new Scanner(new RuleSet(init.rules), init.options)

parentPort!.on('message', (jobs: CommitJob[]) => {
  const results: CommitResult[] = jobs.map((job) => scanCommit(scanner, job))
  parentPort!.postMessage(results)
})
