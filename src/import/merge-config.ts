import type { RuleOverride, SentraConfig } from '../config/config.js'

export interface MergeSummary {
  rulesAdded: string[]
  rulesSkipped: string[]
  disabledAdded: string[]
  overridesChanged: string[]
  allowlistAdded: number
}

function union(existing: readonly string[] | undefined, added: readonly string[] | undefined): { list: string[]; added: number } {
  const list = [...(existing ?? [])]
  let count = 0
  for (const item of added ?? []) {
    if (!list.includes(item)) {
      list.push(item)
      count++
    }
  }
  return { list, added: count }
}

function mergeOverride(existing: RuleOverride | undefined, added: RuleOverride): { override: RuleOverride; changed: boolean } {
  const override: RuleOverride = { ...(existing ?? {}) }
  let changed = false
  for (const key of ['allowPaths', 'stopwords', 'allowRegexes'] as const) {
    if (!added[key]) continue
    const merged = union(override[key], added[key])
    if (merged.added > 0) {
      override[key] = merged.list
      changed = true
    }
  }
  // What the user already set wins over what an import brings.
  if (added.severity && !override.severity) {
    override.severity = added.severity
    changed = true
  }
  if (added.entropy !== undefined && override.entropy === undefined) {
    override.entropy = added.entropy
    changed = true
  }
  return { override, changed }
}

/**
 * Merges imported settings into an existing config without losing anything the user wrote: lists
 * are unioned, rules already present (by id) are kept as they are, existing values win. Running the
 * same import twice changes nothing the second time.
 */
export function mergeConfig(existing: SentraConfig, added: SentraConfig): { config: SentraConfig; summary: MergeSummary } {
  const config: SentraConfig = structuredClone(existing)
  const summary: MergeSummary = { rulesAdded: [], rulesSkipped: [], disabledAdded: [], overridesChanged: [], allowlistAdded: 0 }
  if (config.version === undefined) config.version = 1
  for (const rule of added.rules ?? []) {
    config.rules ??= []
    if (config.rules.some((r) => r.id === rule.id)) summary.rulesSkipped.push(rule.id)
    else {
      config.rules.push(rule)
      summary.rulesAdded.push(rule.id)
    }
  }
  if (added.disabledRules) {
    const before = new Set(config.disabledRules ?? [])
    config.disabledRules = union(config.disabledRules, added.disabledRules).list
    summary.disabledAdded = config.disabledRules.filter((id) => !before.has(id))
  }
  for (const [id, override] of Object.entries(added.ruleOverrides ?? {})) {
    const merged = mergeOverride(config.ruleOverrides?.[id], override)
    if (!merged.changed) continue
    config.ruleOverrides = { ...(config.ruleOverrides ?? {}), [id]: merged.override }
    summary.overridesChanged.push(id)
  }
  if (added.allowlist) {
    const allowlist = { ...(config.allowlist ?? {}) }
    for (const key of ['paths', 'regexes', 'stopwords'] as const) {
      if (!added.allowlist[key]) continue
      const merged = union(allowlist[key], added.allowlist[key])
      if (merged.added > 0) allowlist[key] = merged.list
      summary.allowlistAdded += merged.added
    }
    if (Object.keys(allowlist).length > 0) config.allowlist = allowlist
  }
  return { config, summary }
}

/** The text written to `.sentra/config.json`: stable two-space JSON. */
export function serializeConfig(config: SentraConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`
}
