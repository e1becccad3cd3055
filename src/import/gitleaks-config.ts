import { parse as parseToml } from 'smol-toml'
import type { RuleOverride, SentraConfig } from '../config/config.js'
import type { RuleSpec, Severity } from '../scan/rule.js'
import { pathRegexToGlob } from './path-glob.js'
import type { Node } from './re2-parse.js'
import { deriveKeywords } from './re2-samples.js'
import { re2ToJs } from './re2-to-js.js'
import { ImportError } from './errors.js'
import { addSamples } from './rule-samples.js'
import { sentraRulesFor } from './rule-map.js'


/** Something of the other tool's file that sentra did not take over, and why. */
export interface NotConverted {
  item: string
  reason: string
}

export interface GitleaksConfigResult {
  /** What to merge into `.sentra/config.json`. */
  config: SentraConfig
  /** Ids of the custom rules created. */
  rules: string[]
  /** Converted, with a caveat worth reading. */
  notes: string[]
  notConverted: NotConverted[]
}

export interface GitleaksConfigOptions {
  /** Ids of sentra's built-in rules: imported rules are renamed around them. */
  knownRuleIds: ReadonlySet<string>
  /** Severity of imported rules (gitleaks has none). */
  severity: Severity
  /** Also import rules whose id is one of gitleaks' defaults (otherwise sentra's own rules cover them). */
  includeDefaultRules?: boolean
}

type Table = Record<string, unknown>

/** viper reads gitleaks keys case-insensitively (`stopWords`, `stopwords`, `allowList`...). */
function lowerKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerKeys)
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value as Table).map(([key, inner]) => [key.toLowerCase(), lowerKeys(inner)]))
  }
  return value
}

function strings(value: unknown, what: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new ImportError(`${what} must be an array of strings`)
  return value as string[]
}

function tables(value: unknown, what: string): Table[] {
  if (value === undefined) return []
  if (Array.isArray(value)) return value as Table[]
  if (typeof value === 'object' && value !== null) return [value as Table]
  throw new ImportError(`${what} must be a table`)
}

/** A sentra rule id from a gitleaks one: lower-case kebab-case, at most 64 characters. */
export function sanitizeId(id: string): string {
  const clean = id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return (clean || 'rule').slice(0, 64).replace(/-+$/, '')
}

function sanitizeTag(tag: string): string | undefined {
  const clean = tag.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')
  return clean || undefined
}

function captureGroups(node: Node): number {
  switch (node.type) {
    case 'group':
      return (node.capture ? 1 : 0) + captureGroups(node.body)
    case 'repeat':
      return captureGroups(node.node)
    case 'seq':
      return node.items.reduce((sum, item) => sum + captureGroups(item), 0)
    case 'alt':
      return node.options.reduce((sum, option) => sum + captureGroups(option), 0)
    default:
      return 0
  }
}

interface AllowlistParts {
  paths: string[]
  regexes: string[]
  stopwords: string[]
}

/** One gitleaks allowlist (rule-level or global) as sentra allowlist parts. */
function convertAllowlist(table: Table, where: string, out: GitleaksConfigResult): AllowlistParts {
  const parts: AllowlistParts = { paths: [], regexes: [], stopwords: [] }
  const commits = strings(table.commits, `${where}.commits`)
  const paths = strings(table.paths, `${where}.paths`)
  const regexes = strings(table.regexes, `${where}.regexes`)
  const stopwords = strings(table.stopwords, `${where}.stopwords`)
  const condition = String(table.condition ?? 'OR').toUpperCase()
  const kinds = [commits, paths, regexes, stopwords].filter((list) => list.length > 0).length
  if ((condition === 'AND' || condition === '&&') && kinds > 1) {
    out.notConverted.push({ item: where, reason: 'condition = "AND" across several criteria has no sentra equivalent (sentra allowlists are each sufficient on their own)' })
    return parts
  }
  for (const commit of commits) {
    out.notConverted.push({ item: `${where}.commits "${commit}"`, reason: 'sentra does not allow by commit: findings are accepted by fingerprint (`sentra baseline create` or .sentraignore)' })
  }
  for (const path of paths) {
    const glob = pathRegexToGlob(path)
    if (glob.glob === undefined) out.notConverted.push({ item: `${where}.paths "${path}"`, reason: glob.problem ?? 'not convertible' })
    else {
      parts.paths.push(glob.glob)
      if (glob.approximate) out.notes.push(`${where}.paths "${path}" became "${glob.glob}": ${glob.approximate}`)
    }
  }
  const target = String(table.regextarget ?? 'secret').toLowerCase()
  for (const regex of regexes) {
    if (target !== 'secret') {
      out.notConverted.push({ item: `${where}.regexes "${regex}"`, reason: `regexTarget = "${target}": sentra allowlist regexes test the secret only` })
      continue
    }
    const converted = re2ToJs(regex, { allowFlags: false })
    if (converted.source === undefined) out.notConverted.push({ item: `${where}.regexes "${regex}"`, reason: converted.problem ?? 'not convertible' })
    else parts.regexes.push(converted.source)
  }
  for (const word of stopwords) parts.stopwords.push(word.toLowerCase())
  return parts
}

function allowlistsOf(table: Table, where: string): Table[] {
  return [...tables(table.allowlist, `${where}.allowlist`), ...tables(table.allowlists, `${where}.allowlists`)]
}

function addToOverride(override: RuleOverride, parts: AllowlistParts): void {
  if (parts.paths.length > 0) override.allowPaths = [...(override.allowPaths ?? []), ...parts.paths]
  if (parts.stopwords.length > 0) override.stopwords = [...(override.stopwords ?? []), ...parts.stopwords]
  if (parts.regexes.length > 0) override.allowRegexes = [...(override.allowRegexes ?? []), ...parts.regexes]
}

function isEmpty(parts: AllowlistParts): boolean {
  return parts.paths.length === 0 && parts.regexes.length === 0 && parts.stopwords.length === 0
}

/**
 * Converts a gitleaks config (`.gitleaks.toml`, v8) into sentra config additions: custom rules with
 * converted regexes, generated keywords and samples; allowlists as paths, allowRegexes and stopwords;
 * `[extend] disabledRules` and allowlists on gitleaks' default rules through the rule-name mapping.
 * Everything that cannot be carried over is listed in `notConverted`, never silently dropped.
 */
export function convertGitleaksConfig(text: string, options: GitleaksConfigOptions): GitleaksConfigResult {
  let doc: Table
  try {
    doc = lowerKeys(parseToml(text)) as Table
  } catch (error) {
    throw new ImportError(`not valid TOML: ${(error as Error).message.split('\n')[0]}`)
  }
  const out: GitleaksConfigResult = { config: {}, rules: [], notes: [], notConverted: [] }
  const overrides: Record<string, RuleOverride> = {}
  const addOverride = (sentraId: string, parts: AllowlistParts) => {
    const override = (overrides[sentraId] ??= {})
    addToOverride(override, parts)
  }
  const mapped = (gitleaksId: string) => sentraRulesFor('gitleaks', gitleaksId, options.knownRuleIds)

  const extend = (doc.extend ?? {}) as Table
  if (extend.usedefault === true) out.notes.push('[extend] useDefault: gitleaks\' default rules correspond to sentra\'s built-in library (see docs/migration.md)')
  if (typeof extend.path === 'string') out.notConverted.push({ item: `[extend] path "${extend.path}"`, reason: 'import that file separately with `sentra import gitleaks-config`' })
  if (typeof extend.url === 'string') out.notConverted.push({ item: `[extend] url "${extend.url}"`, reason: 'download it and import it separately' })
  const disabled = new Set<string>()
  for (const id of strings(extend.disabledrules, '[extend] disabledRules')) {
    const targets = mapped(id)
    if (targets.length === 0) out.notConverted.push({ item: `[extend] disabledRules "${id}"`, reason: 'no sentra rule corresponds to this gitleaks rule' })
    for (const target of targets) disabled.add(target)
  }

  const rules: RuleSpec[] = []
  /** gitleaks id -> the custom rule made from it, for [[allowlists]] targetRules. */
  const customByGitleaksId = new Map<string, RuleSpec>()
  const usedIds = new Set(options.knownRuleIds)
  tables(doc.rules, 'rules').forEach((table, index) => {
    const gitleaksId = typeof table.id === 'string' && table.id !== '' ? table.id : undefined
    const item = `rule "${gitleaksId ?? `#${index + 1}`}"`
    if (!gitleaksId) {
      out.notConverted.push({ item, reason: 'a rule needs an id' })
      return
    }
    const allowlists = allowlistsOf(table, item).map((al, i) => convertAllowlist(al, `${item} allowlist #${i + 1}`, out))
    const defaults = mapped(gitleaksId)
    const regex = typeof table.regex === 'string' && table.regex !== '' ? table.regex : undefined
    if (defaults.length > 0 && (!regex || !options.includeDefaultRules)) {
      for (const parts of allowlists) for (const target of defaults) if (!isEmpty(parts)) addOverride(target, parts)
      if (typeof table.entropy === 'number' && !regex) {
        for (const target of defaults) (overrides[target] ??= {}).entropy = Math.min(8, table.entropy)
      }
      out.notes.push(`${item} is one of gitleaks' default rules: sentra's ${defaults.join(', ')} cover${defaults.length === 1 ? 's' : ''} it${allowlists.some((p) => !isEmpty(p)) ? '; its allowlists were added to them' : ''}`)
      return
    }
    if (table.required !== undefined) {
      out.notConverted.push({ item, reason: 'composite rules ([[rules.required]]) have no sentra equivalent' })
      return
    }
    if (table.skipreport === true) {
      out.notConverted.push({ item, reason: 'skipReport rules only serve composite rules, which sentra does not have' })
      return
    }
    if (!regex) {
      out.notConverted.push({ item, reason: 'a rule with only a path (a file-name rule) has no sentra equivalent: sentra rules match content' })
      return
    }
    const converted = re2ToJs(regex, { allowFlags: true })
    if (converted.source === undefined || !converted.tree) {
      out.notConverted.push({ item, reason: `regex: ${converted.problem ?? 'not convertible'}` })
      return
    }
    let id = sanitizeId(gitleaksId)
    if (usedIds.has(id)) {
      const renamed = sanitizeId(`gitleaks-${id}`)
      out.notes.push(`${item}: sentra already has a rule "${id}"; imported as "${renamed}"`)
      id = renamed
    }
    if (usedIds.has(id)) {
      out.notConverted.push({ item, reason: `rule id "${id}" already exists (imported before?)` })
      return
    }
    const given = strings(table.keywords, `${item}.keywords`).map((k) => k.toLowerCase())
    const valid = given.filter((k) => k.length >= 2 && /^[\x20-\x7e]+$/.test(k))
    if (valid.length < given.length) out.notes.push(`${item}: keywords shorter than 2 characters or not ASCII were dropped`)
    const keywords = valid.length > 0 ? [...new Set(valid)] : deriveKeywords(converted.tree)
    if (!keywords) {
      out.notConverted.push({ item, reason: 'no keywords, and none can be derived from the regex: sentra runs a rule only when one of its keywords occurs; add `keywords` and import again' })
      return
    }
    if (valid.length === 0) out.notes.push(`${item}: keywords derived from the regex: ${keywords.join(', ')}`)
    const spec: Omit<RuleSpec, 'examples' | 'negatives'> = {
      id,
      description: typeof table.description === 'string' && table.description.length >= 3 ? table.description : `Imported gitleaks rule ${gitleaksId}`,
      regex: converted.source,
      keywords,
      severity: options.severity,
      tags: [...new Set(['gitleaks-import', ...strings(table.tags, `${item}.tags`).map(sanitizeTag).filter((t): t is string => !!t)])],
    }
    if (converted.flags) spec.flags = converted.flags
    const group = table.secretgroup
    if (typeof group === 'number' && group > 0) {
      if (group > captureGroups(converted.tree)) {
        out.notConverted.push({ item, reason: `secretGroup ${group} does not exist in the regex` })
        return
      }
      spec.secretGroup = group
    }
    if (typeof table.entropy === 'number' && table.entropy > 0) spec.entropy = Math.min(8, table.entropy)
    if (typeof table.path === 'string' && table.path !== '') {
      const glob = pathRegexToGlob(table.path)
      if (glob.glob === undefined) {
        out.notConverted.push({ item: `${item}.path "${table.path}"`, reason: `${glob.problem ?? 'not convertible'}; the rule was imported without this path restriction` })
      } else {
        spec.paths = [glob.glob]
        if (glob.approximate) out.notes.push(`${item}.path became "${glob.glob}": ${glob.approximate}`)
      }
    }
    for (const parts of allowlists) {
      if (parts.paths.length > 0) spec.allowPaths = [...(spec.allowPaths ?? []), ...parts.paths]
      if (parts.stopwords.length > 0) spec.stopwords = [...(spec.stopwords ?? []), ...parts.stopwords]
      if (parts.regexes.length > 0) spec.allowRegexes = [...(spec.allowRegexes ?? []), ...parts.regexes]
    }
    const { spec: complete, problem } = addSamples(spec, converted.tree)
    if (problem) out.notes.push(`${item}: ${problem}`)
    usedIds.add(id)
    rules.push(complete)
    customByGitleaksId.set(gitleaksId, complete)
    out.rules.push(id)
  })

  const global: AllowlistParts = { paths: [], regexes: [], stopwords: [] }
  const globalTables = [...tables(doc.allowlist, '[allowlist]'), ...tables(doc.allowlists, '[[allowlists]]')]
  globalTables.forEach((table, index) => {
    const where = `global allowlist #${index + 1}`
    const parts = convertAllowlist(table, where, out)
    const targets = strings(table.targetrules, `${where}.targetRules`)
    if (targets.length === 0) {
      global.paths.push(...parts.paths)
      global.regexes.push(...parts.regexes)
      global.stopwords.push(...parts.stopwords)
      return
    }
    for (const target of targets) {
      const custom = customByGitleaksId.get(target)
      if (custom) {
        if (parts.paths.length > 0) custom.allowPaths = [...(custom.allowPaths ?? []), ...parts.paths]
        if (parts.stopwords.length > 0) custom.stopwords = [...(custom.stopwords ?? []), ...parts.stopwords]
        if (parts.regexes.length > 0) custom.allowRegexes = [...(custom.allowRegexes ?? []), ...parts.regexes]
        continue
      }
      const defaults = mapped(target)
      if (defaults.length === 0) out.notConverted.push({ item: `${where} targetRules "${target}"`, reason: 'no sentra rule corresponds to this gitleaks rule' })
      for (const id of defaults) addOverride(id, parts)
    }
  })

  const config: SentraConfig = {}
  if (rules.length > 0) config.rules = rules
  if (disabled.size > 0) config.disabledRules = [...disabled].sort()
  const overrideIds = Object.keys(overrides).filter((id) => !disabled.has(id))
  if (overrideIds.length > 0) config.ruleOverrides = Object.fromEntries(overrideIds.sort().map((id) => [id, overrides[id]!]))
  const allowlist: NonNullable<SentraConfig['allowlist']> = {}
  if (global.paths.length > 0) allowlist.paths = [...new Set(global.paths)]
  if (global.regexes.length > 0) allowlist.regexes = [...new Set(global.regexes)]
  if (global.stopwords.length > 0) allowlist.stopwords = [...new Set(global.stopwords)]
  if (Object.keys(allowlist).length > 0) config.allowlist = allowlist
  out.config = config
  return out
}
