/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0
  const counts = new Map<number, number>()
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let entropy = 0
  for (const n of counts.values()) {
    const p = n / value.length
    entropy -= p * Math.log2(p)
  }
  return entropy
}

export function distinctChars(value: string): number {
  return new Set(value).size
}
