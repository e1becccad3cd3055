import { ManifestError } from '../errors.js'
import { entryLine, lineHash, type Entry } from './entry.js'

export interface ParsedLine {
  /** 1-based line number in the file. */
  line: number
  text: string
  hash: string
  entry: Entry
}

const CONFLICT_MARKER = /^(<{7}|={7}|>{7}|\|{7})( |$)/m

/**
 * Splits the manifest into entries. Each line must be the canonical JSON of its entry, so that an
 * entry has exactly one byte string and one hash; the file ends with a newline.
 */
export function parseManifest(text: string, source = '.sentra/team.jsonl'): ParsedLine[] {
  if (CONFLICT_MARKER.test(text)) {
    throw new ManifestError(
      `${source} has git conflict markers: two branches both appended to the team manifest. Keep one side (git checkout --ours or --theirs ${source}) and re-run the other side's team commands on top of it`,
      'conflict-markers',
    )
  }
  if (text === '') throw new ManifestError(`${source} is empty`, 'syntax')
  const lines = text.split('\n')
  const complete = lines.at(-1) === ''
  if (complete) lines.pop()
  const parsed: ParsedLine[] = []
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!
    const line = index + 1
    const last = index === lines.length - 1
    if (raw.trim() === '') throw new ManifestError(`${source} line ${line} is empty`, 'syntax', line)
    let entry: Entry
    try {
      entry = JSON.parse(raw) as Entry
    } catch {
      if (last && !complete) throw new ManifestError(`${source} line ${line} is cut off mid-entry: the file was truncated`, 'truncated', line)
      throw new ManifestError(`${source} line ${line} is not valid JSON`, 'syntax', line)
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ManifestError(`${source} line ${line} is not an entry object`, 'syntax', line)
    let canonical: string
    try {
      canonical = entryLine(entry)
    } catch {
      throw new ManifestError(`${source} line ${line} holds values an entry cannot have`, 'syntax', line)
    }
    if (canonical !== raw) {
      throw new ManifestError(`${source} line ${line} is not in canonical form (re-formatted or edited by hand): entries must be kept byte for byte`, 'not-canonical', line)
    }
    if (last && !complete) throw new ManifestError(`${source} line ${line} has no final newline: the file was truncated`, 'truncated', line)
    parsed.push({ line, text: raw, hash: lineHash(raw), entry })
  }
  return parsed
}
