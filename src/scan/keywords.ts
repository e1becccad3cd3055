/**
 * Keyword prefilter: an Aho-Corasick automaton over lower-cased ASCII, compiled to a dense
 * transition table so that one pass over the text, with no allocation, says which rules can match.
 * Keywords are ASCII, so any non-ASCII character simply resets the automaton; for the same reason
 * the automaton runs on UTF-8 bytes with exactly the same result as on the decoded text (every byte
 * of a multi-byte character, valid or not, is >= 0x80 and resets it too).
 */
const ALPHABET = 128

export class KeywordAutomaton {
  /**
   * Transitions, indexed by `state + classOf[char]`, holding the next state already multiplied by
   * `classes`, bitwise-negated (`~`) when that state has outputs: one load and one sign test per
   * character in the hot loop, no second table to consult.
   */
  private readonly delta: Int32Array
  /**
   * Character classes: each character that occurs in some keyword has its own, upper case folded
   * onto lower case; every other ASCII character shares class 0, which always leads back to the
   * root. Fewer columns keep the table small enough to stay in cache.
   */
  private readonly classOf: Uint8Array
  private readonly classes: number
  /** For each state, the rule indices whose keyword ends there (fail-link outputs merged). */
  private readonly outputs: Int32Array[]
  readonly ruleCount: number

  constructor(rulesKeywords: readonly (readonly string[])[]) {
    this.ruleCount = rulesKeywords.length
    const classOf = new Uint8Array(ALPHABET)
    let classes = 1
    for (const keywords of rulesKeywords) {
      for (const keyword of keywords) {
        for (let i = 0; i < keyword.length; i++) {
          const c = keyword.charCodeAt(i) & 0x7f
          if (classOf[c] === 0) classOf[c] = classes++
        }
      }
    }
    for (let c = 65; c <= 90; c++) if (classOf[c | 32] !== 0) classOf[c] = classOf[c | 32]!
    const goto: Map<number, number>[] = [new Map()]
    const out: Set<number>[] = [new Set()]
    rulesKeywords.forEach((keywords, rule) => {
      for (const keyword of keywords) {
        let state = 0
        for (let i = 0; i < keyword.length; i++) {
          const c = classOf[keyword.charCodeAt(i) & 0x7f]!
          let next = goto[state]!.get(c)
          if (next === undefined) {
            next = goto.length
            goto.push(new Map())
            out.push(new Set())
            goto[state]!.set(c, next)
          }
          state = next
        }
        out[state]!.add(rule)
      }
    })
    const states = goto.length
    const delta = new Int32Array(states * classes)
    const fail = new Int32Array(states)
    const queue: number[] = []
    for (let c = 1; c < classes; c++) {
      const next = goto[0]!.get(c)
      if (next !== undefined) {
        delta[c] = next
        queue.push(next)
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!
      for (const rule of out[fail[state]!]!) out[state]!.add(rule)
      // Class 0 is no keyword's character: its column stays 0 (the root) in every row.
      for (let c = 1; c < classes; c++) {
        const next = goto[state]!.get(c)
        if (next !== undefined) {
          fail[next] = delta[fail[state]! * classes + c]!
          delta[state * classes + c] = next
          queue.push(next)
        } else {
          delta[state * classes + c] = delta[fail[state]! * classes + c]!
        }
      }
    }
    for (let i = 0; i < delta.length; i++) {
      const target = delta[i]!
      delta[i] = out[target]!.size > 0 ? ~(target * classes) : target * classes
    }
    this.delta = delta
    this.classOf = classOf
    this.classes = classes
    this.outputs = out.map((set) => Int32Array.from(set))
  }

  /** Marks in `hits` (one byte per rule) every rule with a keyword in text[start, end). Returns the number of newly hit rules. */
  scan(text: string, hits: Uint8Array, start = 0, end = text.length): number {
    const delta = this.delta
    const classOf = this.classOf
    let state = 0
    let found = 0
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i)
      if (c >= ALPHABET) {
        state = 0
        continue
      }
      state = delta[state + classOf[c]!]!
      if (state < 0) {
        state = ~state
        found += this.mark(state, hits)
      }
    }
    return found
  }

  /**
   * The same as `scan` over the UTF-8 decoding of `bytes`, without decoding: reading bytes is several
   * times cheaper than `charCodeAt`, and a file without any keyword need never be decoded at all.
   */
  scanBytes(bytes: Uint8Array, hits: Uint8Array): number {
    const delta = this.delta
    const classOf = this.classOf
    const end = bytes.length
    let state = 0
    let found = 0
    for (let i = 0; i < end; i++) {
      const c = bytes[i]!
      if (c >= ALPHABET) {
        state = 0
        continue
      }
      state = delta[state + classOf[c]!]!
      if (state < 0) {
        state = ~state
        found += this.mark(state, hits)
      }
    }
    return found
  }

  /** Marks the rules of an accepting state (its multiplied index); returns how many were new. */
  private mark(state: number, hits: Uint8Array): number {
    const output = this.outputs[state / this.classes]!
    let found = 0
    for (let k = 0; k < output.length; k++) {
      const rule = output[k]!
      if (hits[rule] === 0) {
        hits[rule] = 1
        found++
      }
    }
    return found
  }
}
