import type { SentraConfig } from '../config/config.js'
import { CONFIG_PATH } from '../config/config.js'
import type { LoadedRule } from './patterns.js'
import { loadPatternDir } from './patterns.js'
import { severityRank } from './rule.js'

export class RuleConfigError extends Error {}

/**
 * The effective rule list: the built-in library plus custom rules, minus disabled ones, with
 * per-rule overrides and global allowlists folded into each rule.
 */
export function effectiveRules(config: SentraConfig, builtin: LoadedRule[] = loadPatternDir()): LoadedRule[] {
  const custom = (config.rules ?? []).map((spec) => ({ spec, source: CONFIG_PATH }))
  const all = [...builtin, ...custom]
  const known = new Set(all.map((rule) => rule.spec.id))
  for (const id of [...(config.disabledRules ?? []), ...Object.keys(config.ruleOverrides ?? {})]) {
    if (!known.has(id)) throw new RuleConfigError(`${CONFIG_PATH}: unknown rule id "${id}" (see \`sentra patterns list\`)`)
  }
  const disabled = new Set(config.disabledRules ?? [])
  const globalStopwords = config.allowlist?.stopwords ?? []
  const globalRegexes = config.allowlist?.regexes ?? []
  const minRank = config.minSeverity ? severityRank(config.minSeverity) : 0
  const out: LoadedRule[] = []
  for (const { spec, source } of all) {
    if (disabled.has(spec.id)) continue
    const override = config.ruleOverrides?.[spec.id] ?? {}
    const merged = {
      ...spec,
      ...(override.severity ? { severity: override.severity } : {}),
      ...(override.entropy !== undefined ? { entropy: override.entropy } : {}),
      allowPaths: [...(spec.allowPaths ?? []), ...(override.allowPaths ?? [])],
      stopwords: [...(spec.stopwords ?? []), ...(override.stopwords ?? []), ...globalStopwords],
      allowRegexes: [...(spec.allowRegexes ?? []), ...(override.allowRegexes ?? []), ...globalRegexes],
    }
    if (merged.allowPaths.length === 0) delete (merged as { allowPaths?: string[] }).allowPaths
    if (severityRank(merged.severity) < minRank) continue
    out.push({ spec: merged, source })
  }
  return out
}
