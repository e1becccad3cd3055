import micromatch from 'micromatch'
import { KeywordAutomaton } from './keywords.js'
import { compileRule, type CompiledRule, type RuleSpec } from './rule.js'

type PathTest = (path: string) => boolean

export function anyGlob(globs: readonly string[]): PathTest {
  const tests = globs.map((glob) => micromatch.matcher(glob, { dot: true }))
  return (path) => tests.some((test) => test(path))
}

/** Compiled rules plus the keyword automaton that selects them. */
export class RuleSet {
  readonly rules: CompiledRule[]
  readonly automaton: KeywordAutomaton
  private readonly onlyPaths: (PathTest | undefined)[]
  private readonly notPaths: (PathTest | undefined)[]

  constructor(specs: readonly { spec: RuleSpec; source: string }[]) {
    const seen = new Map<string, string>()
    this.rules = specs.map(({ spec, source }, index) => {
      const previous = seen.get(spec.id)
      if (previous !== undefined) throw new Error(`${source}: rule "${spec.id}" is already defined in ${previous}`)
      seen.set(spec.id, source)
      return compileRule(spec, index, source)
    })
    this.automaton = new KeywordAutomaton(this.rules.map((rule) => rule.keywords))
    const matcher = (globs: string[] | undefined): PathTest | undefined =>
      globs && globs.length > 0 ? anyGlob(globs) : undefined
    this.onlyPaths = this.rules.map((rule) => matcher(rule.spec.paths))
    this.notPaths = this.rules.map((rule) => matcher(rule.spec.allowPaths))
  }

  /** Whether a rule's path constraints let it run on this (repo-relative, `/`-separated) path. */
  appliesTo(rule: CompiledRule, path: string): boolean {
    const only = this.onlyPaths[rule.index]
    if (only && !only(path)) return false
    const not = this.notPaths[rule.index]
    return !(not && not(path))
  }

  get size(): number {
    return this.rules.length
  }
}
