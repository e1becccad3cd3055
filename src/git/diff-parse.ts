/**
 * A streaming parser of git's patch output (`git diff -p`, `git log -p`), including combined diffs
 * of merge commits (`--cc`). It keeps, for each file, the lines of the new side that the patch shows
 * (added lines and any context lines) with their exact line numbers in the new file.
 *
 * It expects the output of git run with SAFE_DIFF_ARGS: `a/` and `b/` prefixes, full blob ids, no
 * colour, `core.quotePath=false` (so only control characters, `"` and `\` are C-quoted).
 */

export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied'

export interface FilePatch {
  /** Path in the new tree (the old path for a deletion), `/`-separated, relative to the repository root. */
  path: string
  /** Path before a rename or copy. */
  fromPath?: string
  status: FileStatus
  /** Mode of the new side (`100644`, `100755`, `120000` symlink, `160000` submodule), when git printed it. */
  mode?: string
  /** Full id of the new blob (absent for deletions), and of the old one(s). */
  blob?: string
  oldBlobs: string[]
  /** Git printed "Binary files ... differ": no lines. */
  binary: boolean
  /** A submodule pointer (gitlink): nothing to scan in this repository. */
  submodule: boolean
  /** Parents of a combined (merge) diff; 1 for an ordinary diff. */
  parents: number
  /** New-side line numbers (1-based), their text and whether they are added (against every parent). */
  lines: number[]
  texts: string[]
  added: boolean[]
  /** The new side's last line has no newline ("\ No newline at end of file"). */
  noNewlineAtEnd: boolean
}

const ZERO_ID = /^0+$/

/** Undoes git's C-style quoting of a path: `"a\tb\303\251"` -> `a<TAB>bé`. Unquoted input is returned as is. */
export function unquotePath(text: string): string {
  if (!text.startsWith('"')) return text
  const bytes: number[] = []
  const escapes: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 }
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') break
    if (c !== '\\') {
      for (const byte of Buffer.from(c, 'utf8')) bytes.push(byte)
      continue
    }
    const next = text[++i] ?? ''
    if (/[0-7]/.test(next)) {
      const octal = text.slice(i, i + 3)
      bytes.push(parseInt(octal, 8) & 0xff)
      i += octal.length - 1
    } else bytes.push(escapes[next] ?? next.charCodeAt(0))
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Reads one path token (quoted or not) at the start of `text`; returns it and the rest of the text. */
function quotedToken(text: string): [string, string] {
  let i = 1
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
  return [unquotePath(text.slice(0, i + 1)), text.slice(i + 1)]
}

/** The path of a `---`/`+++` header: `a/x`, `"b/x"`, or /dev/null (undefined). */
function headerPath(value: string): string | undefined {
  if (value === '/dev/null') return undefined
  // An unquoted name never contains a tab: git appends one after names that contain a space.
  const raw = value.startsWith('"') ? unquotePath(value) : value.split('\t')[0]!
  return raw.replace(/^[ab]\//, '')
}

/** The two paths of `diff --git a/X b/Y`. Unquoted names with spaces are split where both halves agree, as git apply does. */
export function parseGitHeader(rest: string): { from?: string; to?: string } {
  if (rest.startsWith('"')) {
    const [from, after] = quotedToken(rest)
    const second = after.trimStart()
    const to = second.startsWith('"') ? quotedToken(second)[0] : second
    return { from: from.replace(/^a\//, ''), to: to.replace(/^b\//, '') }
  }
  const quoted = rest.indexOf(' "b/')
  if (quoted !== -1) return { from: rest.slice(0, quoted).replace(/^a\//, ''), to: quotedToken(rest.slice(quoted + 1))[0].replace(/^b\//, '') }
  if (rest.startsWith('a/') && (rest.length - 5) % 2 === 0) {
    const half = (rest.length - 5) / 2
    const from = rest.slice(2, 2 + half)
    if (rest.slice(2 + half) === ` b/${from}`) return { from, to: from }
  }
  // Different names (a rename): the rename/copy or ---/+++ headers that follow give them exactly.
  return {}
}

function newPatch(path: string, parents: number): FilePatch {
  return {
    path, status: 'modified', oldBlobs: [], binary: false, submodule: false, parents,
    lines: [], texts: [], added: [], noNewlineAtEnd: false,
  }
}

/**
 * Feed it lines (without their newline); it calls `onFile` for each complete file patch. Lines that
 * are not part of a diff (a `git log` commit header) must be routed elsewhere by the caller, which
 * then calls `flush()` so that the file in progress is emitted first.
 */
export class DiffParser {
  private file: FilePatch | undefined
  private inHunk = false
  private newLine = 0
  private lastInNew = false

  constructor(private readonly onFile: (file: FilePatch) => void) {}

  /** Whether a line belongs to the diff (true) or is something else, such as a commit header (false). */
  push(line: string): boolean {
    const file = this.file
    if (file && this.inHunk) {
      if (this.hunkLine(file, line)) return true
      this.inHunk = false
    }
    if (line.startsWith('diff --git ')) {
      this.flush()
      const { from, to } = parseGitHeader(line.slice(11))
      this.file = newPatch(to ?? from ?? '', 1)
      if (from !== undefined && from !== to) this.file.fromPath = from
      return true
    }
    if (line.startsWith('diff --cc ') || line.startsWith('diff --combined ')) {
      this.flush()
      const rest = line.slice(line.indexOf(' ', 5) + 1)
      this.file = newPatch(rest.startsWith('"') ? unquotePath(rest) : rest, 2)
      return true
    }
    if (!file) return line === ''
    if (line.startsWith('@@')) return this.hunkHeader(file, line)
    return this.header(file, line)
  }

  /** Emits the file in progress, if any. */
  flush(): void {
    if (this.file) {
      const file = this.file
      this.file = undefined
      this.inHunk = false
      if (file.mode === '160000') file.submodule = true
      this.onFile(file)
    }
  }

  private header(file: FilePatch, line: string): boolean {
    const space = line.indexOf(' ')
    const key = space === -1 ? line : line.slice(0, space)
    const value = space === -1 ? '' : line.slice(space + 1)
    switch (key) {
      case 'index': {
        // `index OLD..NEW MODE`, or `index OLD1,OLD2..NEW` in a combined diff.
        const [ids, mode] = value.split(' ')
        const [olds, blob] = (ids ?? '').split('..')
        const oldIds = (olds ?? '').split(',')
        if (oldIds.length > 1) file.parents = oldIds.length
        file.oldBlobs = oldIds.filter((id) => id !== '' && !ZERO_ID.test(id))
        if (blob && !ZERO_ID.test(blob)) file.blob = blob
        if (mode) file.mode = mode
        return true
      }
      case 'new':
        if (value.startsWith('file mode ')) {
          file.status = 'added'
          file.mode = value.slice(10)
        } else if (value.startsWith('mode ')) file.mode = value.slice(5)
        return true
      case 'deleted':
        file.status = 'deleted'
        return true
      case 'old':
      case 'similarity':
      case 'dissimilarity':
        return true
      case 'mode':
        // Combined diff: `mode OLD1,OLD2..NEW`.
        file.mode = value.split('..')[1] ?? file.mode
        return true
      case 'rename':
      case 'copy': {
        const path = unquotePath(value.replace(/^(from|to) /, ''))
        if (value.startsWith('from ')) file.fromPath = path
        else file.path = path
        file.status = key === 'rename' ? 'renamed' : 'copied'
        return true
      }
      case '---': {
        const path = headerPath(value)
        if (path !== undefined && file.path === '') file.path = path
        return true
      }
      case '+++': {
        const path = headerPath(value)
        if (path !== undefined) file.path = path
        return true
      }
      case 'Binary':
        file.binary = true
        if (file.path === '') {
          const match = / and (?:b\/)?(.*) differ$/.exec(value)
          if (match?.[1] && match[1] !== '/dev/null') file.path = match[1]
        }
        return true
      case 'Subproject':
        file.submodule = true
        return true
      default:
        // Anything else ends the file: a commit header of `git log`, or a blank separator.
        this.flush()
        return false
    }
  }

  private hunkHeader(file: FilePatch, line: string): boolean {
    let ats = 0
    while (line[ats] === '@') ats++
    // `@@ -a,b +c,d @@` or, with N parents, N+1 '@' and N '-' ranges before the '+' range.
    const match = /\+(\d+)/.exec(line.slice(ats, line.indexOf('@', ats)))
    if (!match) return this.header(file, line)
    file.parents = ats - 1
    this.newLine = Number(match[1])
    this.inHunk = true
    this.lastInNew = false
    return true
  }

  /** One line inside a hunk: N columns of ' ', '+' or '-' (N = parents), then the text. */
  private hunkLine(file: FilePatch, line: string): boolean {
    const columns = file.parents
    if (line.startsWith('\\')) {
      // "\ No newline at end of file" applies to the line before it.
      if (this.lastInNew) file.noNewlineAtEnd = true
      return true
    }
    if (line.length < columns) return false
    let removed = false
    let allAdded = true
    for (let i = 0; i < columns; i++) {
      const c = line.charCodeAt(i)
      if (c === 45 /* - */) removed = true
      else if (c === 32 /* space */) allAdded = false
      else if (c !== 43 /* + */) return false
    }
    this.lastInNew = !removed
    if (removed) return true
    file.lines.push(this.newLine++)
    file.texts.push(line.slice(columns))
    file.added.push(allAdded)
    return true
  }
}

/** Parses a whole patch text into its file patches. */
export function parsePatch(text: string): FilePatch[] {
  const files: FilePatch[] = []
  const parser = new DiffParser((file) => files.push(file))
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    parser.push(text.slice(start, end))
    start = end + 1
  }
  parser.flush()
  return files
}
