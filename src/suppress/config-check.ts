import micromatch from 'micromatch'
import type { SentraConfig } from '../config/config.js'
import validateConfigFile from '../generated/validate-config.js'
import { sampleProblems } from '../import/rule-samples.js'
import type { LoadedRule } from '../scan/patterns.js'
import { compileRule } from '../scan/rule.js'
import { effectiveRules } from '../scan/rules-from-config.js'
import { describeSchemaErrors } from '../scan/schema-errors.js'
import { loadIgnoreFile } from './ignore-file.js'

export interface ConfigCheck {
  errors: string[]
  warnings: string[]
  /** Rules a scan with this config runs. */
  activeRules: number
  customRules: number
}

/** `rules[2] "acme-key" /regex` rather than `/rules/2/regex`. */
function pointerName(doc: unknown): (pointer: string) => string {
  return (pointer) => {
    if (pointer === '') return 'top level'
    const match = /^\/rules\/(\d+)(.*)$/.exec(pointer)
    if (!match) return pointer.slice(1).replace(/\//g, '.')
    const rule = ((doc as { rules?: { id?: unknown }[] } | null)?.rules ?? [])[Number(match[1])]
    const id = typeof rule?.id === 'string' ? ` "${rule.id}"` : ''
    return `rules[${match[1]}]${id}${match[2] ? ` ${match[2].slice(1).replace(/\//g, '.')}` : ''}`
  }
}

function checkGlobs(globs: readonly string[] | undefined, where: string, errors: string[]): void {
  for (const glob of globs ?? []) {
    try {
      micromatch.makeRe(glob)
    } catch (error) {
      errors.push(`${where}: invalid glob "${glob}": ${(error as Error).message}`)
    }
  }
}

function checkRegexes(patterns: readonly string[] | undefined, where: string, errors: string[]): void {
  for (const pattern of patterns ?? []) {
    try {
      new RegExp(pattern)
    } catch (error) {
      errors.push(`${where}: invalid regex: ${(error as Error).message}`)
    }
  }
}

/**
 * Everything `sentra config validate` checks, collected rather than stopping at the first problem:
 * the schema (unknown keys are errors), rule ids that do not exist, regexes and globs, each custom
 * rule's own examples and negatives, and the `.sentraignore` next to the config.
 */
export function checkConfig(doc: unknown, builtin: LoadedRule[], root?: string): ConfigCheck {
  const result: ConfigCheck = { errors: [], warnings: [], activeRules: 0, customRules: 0 }
  if (!validateConfigFile(doc)) {
    result.errors.push(...describeSchemaErrors(validateConfigFile.errors, pointerName(doc)))
    return result
  }
  const config = doc as SentraConfig
  const custom = config.rules ?? []
  result.customRules = custom.length
  const builtinIds = new Set(builtin.map((rule) => rule.spec.id))
  const seen = new Set<string>()
  custom.forEach((spec, index) => {
    const where = `rules[${index}] "${spec.id}"`
    if (builtinIds.has(spec.id)) result.errors.push(`${where}: a built-in rule already has this id (use ruleOverrides to change it, or pick another id)`)
    if (seen.has(spec.id)) result.errors.push(`${where}: defined twice`)
    seen.add(spec.id)
    let compiled
    try {
      compiled = compileRule(spec, index, `rules[${index}]`)
    } catch (error) {
      result.errors.push((error as Error).message)
      return
    }
    checkGlobs(spec.paths, `${where} paths`, result.errors)
    checkGlobs(spec.allowPaths, `${where} allowPaths`, result.errors)
    for (const problem of sampleProblems(compiled)) result.errors.push(`${where}: ${problem}`)
  })
  const known = new Set([...builtinIds, ...seen])
  for (const id of config.disabledRules ?? []) if (!known.has(id)) result.errors.push(`disabledRules: unknown rule id "${id}" (see \`sentra patterns list\`)`)
  for (const [id, override] of Object.entries(config.ruleOverrides ?? {})) {
    if (!known.has(id)) result.errors.push(`ruleOverrides: unknown rule id "${id}" (see \`sentra patterns list\`)`)
    checkGlobs(override.allowPaths, `ruleOverrides "${id}" allowPaths`, result.errors)
    checkRegexes(override.allowRegexes, `ruleOverrides "${id}" allowRegexes`, result.errors)
    if ((config.disabledRules ?? []).includes(id)) result.warnings.push(`ruleOverrides "${id}": the rule is disabled, so the override has no effect`)
  }
  checkGlobs(config.allowlist?.paths, 'allowlist.paths', result.errors)
  checkRegexes(config.allowlist?.regexes, 'allowlist.regexes', result.errors)
  checkGlobs(config.fixtures, 'fixtures', result.errors)
  if (result.errors.length === 0) {
    try {
      result.activeRules = effectiveRules(config, builtin).length
    } catch (error) {
      result.errors.push((error as Error).message)
    }
  }
  if (root !== undefined) {
    try {
      for (const entry of loadIgnoreFile(root)) {
        const rule = entry.fingerprint.slice(0, entry.fingerprint.lastIndexOf(':'))
        if (!known.has(rule)) result.warnings.push(`.sentraignore:${entry.line}: no rule "${rule}" exists: the entry can never match`)
      }
    } catch (error) {
      result.errors.push((error as Error).message)
    }
  }
  return result
}
