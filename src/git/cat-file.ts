import { GitError, gitSpawn } from './exec.js'

export type BlobContent =
  | { kind: 'ok'; bytes: Buffer }
  | { kind: 'too-large'; size: number }
  | { kind: 'missing' }

/** Parses `git cat-file --batch` output as it streams; contents over `maxSize` are skipped, not kept. */
class BatchReader {
  readonly out = new Map<string, BlobContent>()
  private pending: Buffer = Buffer.alloc(0)
  private index = 0
  /** Bytes of the current object's content still to come (+1 for its trailing newline); 0 between objects. */
  private remaining = 0
  private size = 0
  private parts: Buffer[] | undefined
  private current = ''

  constructor(private readonly ids: readonly string[], private readonly maxSize: number) {}

  push(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = Buffer.alloc(0)
    while (data.length > 0) {
      if (this.remaining > 0) {
        const piece = data.subarray(0, Math.min(this.remaining, data.length))
        this.parts?.push(piece)
        this.remaining -= piece.length
        data = data.subarray(piece.length)
        if (this.remaining === 0) this.finishObject()
        continue
      }
      const newline = data.indexOf(10)
      if (newline === -1) {
        this.pending = Buffer.from(data)
        return
      }
      const fields = data.subarray(0, newline).toString('utf8').split(' ')
      data = data.subarray(newline + 1)
      this.current = this.ids[this.index++] ?? ''
      if (fields[1] === 'missing' || fields.length < 3) {
        this.out.set(this.current, { kind: 'missing' })
        continue
      }
      this.size = Number(fields[2])
      this.parts = this.size > this.maxSize ? undefined : []
      this.remaining = this.size + 1
    }
  }

  private finishObject(): void {
    if (!this.parts) {
      this.out.set(this.current, { kind: 'too-large', size: this.size })
      return
    }
    const bytes = Buffer.concat(this.parts)
    // The last byte read is the newline git prints after the content.
    this.out.set(this.current, { kind: 'ok', bytes: bytes.subarray(0, this.size) })
    this.parts = undefined
  }
}

/**
 * Reads objects through one `git cat-file --batch` process: raw bytes, never textconv or filters,
 * and never a lazy fetch (GIT_NO_LAZY_FETCH=1: a blob absent from a partial clone is reported missing).
 */
export function readBlobs(repoRoot: string, ids: readonly string[], maxSize: number): Promise<Map<string, BlobContent>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return Promise.resolve(new Map())
  const reader = new BatchReader(unique, maxSize)
  const child = gitSpawn(['cat-file', '--batch'], repoRoot, { stdio: ['pipe', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk))
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new GitError(['cat-file', '--batch'], stderr, code))
        return
      }
      for (const id of unique) if (!reader.out.has(id)) reader.out.set(id, { kind: 'missing' })
      resolve(reader.out)
    })
    // If git exits early its exit code says why; a write error here adds nothing.
    child.stdin!.on('error', () => {})
    child.stdin!.end(unique.join('\n') + '\n')
  })
}

export interface Blob {
  oid: string
  content: Buffer
}

/**
 * Reads objects through one long-lived `git cat-file --batch`: a path with 200 versions costs 200
 * lines on a pipe, not 200 processes. Requests are answered in order.
 */
export class BlobReader {
  private readonly child: ReturnType<typeof gitSpawn>
  private chunks: Buffer[] = []
  private length = 0
  /** Bytes needed before the head of the queue can be answered (header + content + LF). */
  private needed = 0
  private header: { oid: string; size: number; headerLength: number } | undefined
  private readonly waiting: Array<{ resolve: (blob: Blob | undefined) => void; reject: (error: Error) => void }> = []
  private failure: Error | undefined

  constructor(repoRoot: string) {
    this.child = gitSpawn(['cat-file', '--batch'], repoRoot, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    this.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.length += chunk.length
      this.drain()
    })
    const fail = (error: Error) => {
      this.failure ??= error
      for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure)
    }
    this.child.on('error', (error) => fail((error as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('git is not installed or not on PATH') : error))
    this.child.on('close', (status) => fail(new GitError(['cat-file', '--batch'], stderr, status)))
    this.child.stdin!.on('error', () => {}) // reported through 'close'
  }

  /** The object named `spec` (`<commit>:<path>`), or undefined when it does not exist. */
  read(spec: string): Promise<Blob | undefined> {
    if (spec.includes('\n')) return Promise.resolve(undefined) // cannot be asked on a line-based pipe
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.child.stdin!.write(`${spec}\n`)
    })
  }

  private buffer(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  private consume(bytes: number): void {
    const rest = this.buffer().subarray(bytes)
    this.chunks = rest.length > 0 ? [rest] : []
    this.length = rest.length
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.length >= this.needed) {
      if (!this.header) {
        const buffer = this.buffer()
        const end = buffer.indexOf(0x0a)
        if (end === -1) return
        const line = buffer.subarray(0, end).toString('utf8')
        const match = /^([0-9a-f]+) (\S+) (\d+)$/.exec(line)
        if (!match) {
          // "<spec> missing" or "<spec> ambiguous": no such object.
          this.consume(end + 1)
          this.waiting.shift()!.resolve(undefined)
          continue
        }
        this.header = { oid: match[1]!, size: Number(match[3]), headerLength: end + 1 }
        this.needed = end + 1 + this.header.size + 1
        if (match[2] !== 'blob') this.header.oid = '' // a tree or commit at that name: not a file version
        continue
      }
      const buffer = this.buffer()
      const { oid, size, headerLength } = this.header
      const content = Buffer.from(buffer.subarray(headerLength, headerLength + size))
      this.consume(headerLength + size + 1)
      this.header = undefined
      this.needed = 0
      this.waiting.shift()!.resolve(oid === '' ? undefined : { oid, content })
    }
  }

  close(): void {
    // End of input ends git; a late exit must not count as a failure.
    this.failure ??= new Error('the blob reader is closed')
    this.child.removeAllListeners('close')
    this.child.on('close', () => {})
    this.child.stdin!.end()
  }
}
