import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import type { Finding, Notice } from './finding.js'
import type { Scanner } from './scanner.js'

export interface FileJob {
  /** Absolute path to read. */
  path: string
  /** Path as reported (repo-relative, `/`-separated), also what rule path globs see. */
  file: string
}

export interface FileResult {
  findings: Finding[]
  notices: Notice[]
  bytes: number
  scanned: boolean
}

/** Reads and scans one file, turning every problem into a notice rather than an aborted scan. */
export function scanFile(scanner: Scanner, job: FileJob, maxFileSize: number): FileResult {
  let fd: number
  try {
    fd = openSync(job.path, 'r')
  } catch (error) {
    return { findings: [], bytes: 0, scanned: false, notices: [{ file: job.file, kind: 'unreadable', message: (error as Error).message }] }
  }
  try {
    const size = fstatSync(fd).size
    if (size > maxFileSize) {
      return {
        findings: [], bytes: 0, scanned: false,
        notices: [{ file: job.file, kind: 'too-large', message: `skipped: ${size} bytes is over the ${maxFileSize}-byte limit (scan.maxFileSize)` }],
      }
    }
    const buffer = Buffer.allocUnsafe(size)
    let read = 0
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read)
      if (n === 0) break
      read += n
    }
    const result = scanner.scanBytes(buffer.subarray(0, read), job.file)
    const notices = result.notices
    if (result.encrypted) notices.push({ file: job.file, kind: 'encrypted', message: `${result.encrypted}-encrypted file: only key names and comments scanned` })
    return { findings: result.findings, notices, bytes: read, scanned: !notices.some((n) => n.kind === 'binary') }
  } finally {
    closeSync(fd)
  }
}
