import { loadPatternDir, type LoadedRule } from '../../dist/scan/patterns.js'
import { RuleSet } from '../../dist/scan/ruleset.js'
import { Scanner } from '../../dist/scan/scanner.js'

let cached: LoadedRule[] | undefined

/** The built-in library, loaded once per test file through the real loader. */
export function builtinRules(): LoadedRule[] {
  cached ??= loadPatternDir()
  return cached
}

export function builtinScanner(options: { salt?: string; noRedact?: boolean } = {}): Scanner {
  return new Scanner(new RuleSet(builtinRules()), { salt: options.salt ?? 'test-salt', noRedact: options.noRedact ?? false })
}
