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
