/** Git's heuristic: a NUL byte in the first 8000 bytes makes a file binary. */
export function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8000)
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true
  return false
}

/** Offsets of the first character of every line, for offset → line/column mapping. */
export function lineStarts(text: string): number[] {
  const starts = [0]
  let index = text.indexOf('\n')
  while (index !== -1) {
    starts.push(index + 1)
    index = text.indexOf('\n', index + 1)
  }
  return starts
}

/** 1-based line and column of an offset, by binary search over line starts. */
export function positionOf(starts: readonly number[], offset: number): { line: number; column: number } {
  let low = 0
  let high = starts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (starts[mid]! <= offset) low = mid
    else high = mid - 1
  }
  return { line: low + 1, column: offset - starts[low]! + 1 }
}

export function lineAt(text: string, starts: readonly number[], line: number): string {
  const start = starts[line - 1]
  if (start === undefined) return ''
  const next = starts[line]
  return text.slice(start, next === undefined ? text.length : next - 1)
}
