/**
 * Keyword prefilter: an Aho-Corasick automaton over lower-cased ASCII, compiled to a dense
 * transition table so that one pass over the text, with no allocation, says which rules can match.
 * Keywords are ASCII, so any non-ASCII character simply resets the automaton.
 */
const ALPHABET = 128

export class KeywordAutomaton {
  /** Transitions, indexed by `state * 128 + char`, holding the next state already multiplied by 128. */
  private readonly delta: Int32Array
  /** For each state, the rule indices whose keyword ends there (fail-link outputs merged). */
  private readonly outputs: Int32Array[]
  /** 1 where a state has outputs: a typed-array test keeps the hot loop monomorphic. */
  private readonly accepting: Uint8Array
  readonly ruleCount: number

  constructor(rulesKeywords: readonly (readonly string[])[]) {
    this.ruleCount = rulesKeywords.length
    const goto: Map<number, number>[] = [new Map()]
    const out: Set<number>[] = [new Set()]
    rulesKeywords.forEach((keywords, rule) => {
      for (const keyword of keywords) {
        let state = 0
        for (let i = 0; i < keyword.length; i++) {
          const c = keyword.charCodeAt(i) & 0x7f
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
    const delta = new Int32Array(states * ALPHABET)
    const fail = new Int32Array(states)
    const queue: number[] = []
    for (let c = 0; c < ALPHABET; c++) {
      const next = goto[0]!.get(c)
      if (next !== undefined) {
        delta[c] = next
        fail[next] = 0
        queue.push(next)
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!
      for (const rule of out[fail[state]!]!) out[state]!.add(rule)
      for (let c = 0; c < ALPHABET; c++) {
        const next = goto[state]!.get(c)
        if (next !== undefined) {
          fail[next] = delta[fail[state]! * ALPHABET + c]!
          delta[state * ALPHABET + c] = next
          queue.push(next)
        } else {
          delta[state * ALPHABET + c] = delta[fail[state]! * ALPHABET + c]!
        }
      }
    }
    // Pre-multiply states and fold upper-case ASCII into lower-case in the table itself.
    for (let state = 0; state < states; state++) {
      const row = state * ALPHABET
      for (let c = 0; c < ALPHABET; c++) delta[row + c] = delta[row + c]! * ALPHABET
      for (let c = 65; c <= 90; c++) delta[row + c] = delta[row + (c | 32)]!
    }
    this.delta = delta
    this.outputs = out.map((set) => Int32Array.from(set))
    this.accepting = Uint8Array.from(out, (set) => (set.size > 0 ? 1 : 0))
  }

  /** Marks in `hits` (one byte per rule) every rule with a keyword in text[start, end). Returns the number of newly hit rules. */
  scan(text: string, hits: Uint8Array, start = 0, end = text.length): number {
    const delta = this.delta
    const accepting = this.accepting
    let state = 0
    let found = 0
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i)
      if (c >= ALPHABET) {
        state = 0
        continue
      }
      state = delta[state + c]!
      if (accepting[state >> 7] === 1) {
        const output = this.outputs[state >> 7]!
        for (let k = 0; k < output.length; k++) {
          const rule = output[k]!
          if (hits[rule] === 0) {
            hits[rule] = 1
            found++
          }
        }
      }
    }
    return found
  }
}
