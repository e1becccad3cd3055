import type { CommitInfo, Finding, Notice } from '../finding.js'
import type { Scanner } from '../scanner.js'
import { scanPatchText, type PatchText } from './patch-scan.js'

/** One commit's text file patches, as sent to a scanning thread. */
export interface CommitJob {
  /** Position in the walk (oldest first): the lowest sighting of a secret is its introduction. */
  seq: number
  info: CommitInfo
  patches: PatchText[]
}

export interface CommitResult {
  seq: number
  findings: Finding[]
  notices: Notice[]
  bytes: number
}

/** Scans the added lines of one commit's patches; findings carry the commit. */
export function scanCommit(scanner: Scanner, job: CommitJob): CommitResult {
  const findings: Finding[] = []
  const notices: Notice[] = []
  let bytes = 0
  for (const patch of job.patches) {
    const result = scanPatchText(scanner, patch)
    bytes += result.bytes
    for (const finding of result.findings) {
      finding.commit = job.info
      findings.push(finding)
    }
    for (const notice of result.notices) notices.push({ ...notice, message: `${notice.message} (commit ${job.info.commit.slice(0, 12)})` })
  }
  return { seq: job.seq, findings, notices, bytes }
}
