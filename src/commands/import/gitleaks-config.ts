import { Args, Flags } from '@oclif/core'
import { mkdirSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { readInputFile } from '../../cli/input-file.js'
import { UserError } from '../../cli/errors.js'
import { writeFileAtomic } from '../../cli/output.js'
import { CONFIG_PATH, loadConfigFile, validateConfig } from '../../config/config.js'
import { convertGitleaksConfig } from '../../import/gitleaks-config.js'
import { mergeConfig, serializeConfig } from '../../import/merge-config.js'
import { findRepoRoot } from '../../git/repo.js'
import { loadPatternDir } from '../../scan/patterns.js'
import { SEVERITIES, type Severity } from '../../scan/rule.js'
import { effectiveRules } from '../../scan/rules-from-config.js'
import { RuleSet } from '../../scan/ruleset.js'

export default class ImportGitleaksConfig extends SentraCommand {
  static override summary = 'Import a gitleaks config (.gitleaks.toml) into .sentra/config.json.'
  static override description = `Converts gitleaks (v8) rules and allowlists into sentra settings and merges them into the config:
- custom rules: Go RE2 regexes converted to JavaScript ((?i) and other flags, (?P<name>, \\z, POSIX
  classes, \\x{...}), keywords kept or derived from the regex, a generated example and negative
  checked against the converted rule (stored as b64:), severity from --severity;
- allowlists: path regexes become globs, secret regexes become allowRegexes, stopwords stay;
- [extend] disabledRules and allowlists on gitleaks' default rules go to the sentra rules that cover
  them (see docs/migration.md for the mapping); gitleaks' default rules themselves are not copied.
Everything that cannot be converted (commit allowlists, regexTarget "match"/"line", composite rules,
file-name-only rules, \\C) is listed. Existing settings are kept; running it twice changes nothing.`

  static override examples = [
    { command: '<%= config.bin %> import gitleaks-config .gitleaks.toml', description: 'Merge the gitleaks config into .sentra/config.json.' },
    { command: '<%= config.bin %> import gitleaks-config .gitleaks.toml --dry-run', description: 'Show what would change, write nothing.' },
    { command: '<%= config.bin %> import gitleaks-config gitleaks.toml --severity critical --json', description: 'Import rules as critical; report as JSON.' },
  ]

  static override args = {
    file: Args.string({ description: 'The gitleaks config to import.', default: '.gitleaks.toml', ignoreStdin: true }),
  }

  static override flags = {
    severity: Flags.string({ description: 'Severity of the imported rules (gitleaks rules have none).', options: [...SEVERITIES], default: 'high' }),
    'include-default-rules': Flags.boolean({ description: "Also import rules whose id is one of gitleaks' defaults (sentra's own rules cover them)." }),
    config: Flags.string({ char: 'c', description: `Config file to merge into (default: ${CONFIG_PATH} at the repository root).` }),
    'dry-run': Flags.boolean({ description: 'Show the result; write nothing.' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImportGitleaksConfig)
    const cwd = process.cwd()
    const text = readInputFile(args.file, cwd)
    const root = findRepoRoot(cwd) ?? cwd
    const target = flags.config ? (isAbsolute(flags.config) ? flags.config : resolve(cwd, flags.config)) : join(root, CONFIG_PATH)
    const shown = relative(cwd, target) || target
    const existing = loadConfigFile(target, shown, { missingIsEmpty: true })
    // Only the library's ids: a custom rule the config already has with an imported id is the same
    // rule imported before, and the merge keeps it rather than renaming the new one.
    const knownRuleIds = new Set(loadPatternDir().map((rule) => rule.spec.id))
    let result
    try {
      result = convertGitleaksConfig(text, { knownRuleIds, severity: flags.severity as Severity, includeDefaultRules: flags['include-default-rules'] })
    } catch (error) {
      throw new UserError(`${args.file}: ${(error as Error).message}`)
    }
    const { config, summary } = mergeConfig(existing, result.config)
    // The merged config must load exactly as a scan would load it.
    validateConfig(config, shown)
    new RuleSet(effectiveRules(config))
    const before = serializeConfig(existing)
    const after = serializeConfig(config)
    const changed = after !== before
    if (changed && !flags['dry-run']) {
      mkdirSync(dirname(target), { recursive: true })
      writeFileAtomic(target, after)
    }
    if (flags.json) {
      const report = { source: args.file, target: shown, written: changed && !flags['dry-run'], ...summary, notes: result.notes, notConverted: result.notConverted, ...(flags['dry-run'] ? { config } : {}) }
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
      return
    }
    const lines = [`${flags['dry-run'] ? 'Would import' : 'Imported'} ${args.file} into ${shown}${changed ? '' : ' (no changes)'}:`]
    const list = (items: string[]) => (items.length > 0 ? `: ${items.join(', ')}` : '')
    lines.push(`  ${summary.rulesAdded.length} rule(s) added${list(summary.rulesAdded)}`)
    if (summary.rulesSkipped.length > 0) lines.push(`  ${summary.rulesSkipped.length} rule(s) already in the config, left as they are${list(summary.rulesSkipped)}`)
    if (summary.disabledAdded.length > 0) lines.push(`  ${summary.disabledAdded.length} sentra rule(s) disabled${list(summary.disabledAdded)}`)
    if (summary.overridesChanged.length > 0) lines.push(`  allowlists added to sentra rule(s)${list(summary.overridesChanged)}`)
    if (summary.allowlistAdded > 0) lines.push(`  ${summary.allowlistAdded} global allowlist entr${summary.allowlistAdded === 1 ? 'y' : 'ies'} added`)
    if (result.notes.length > 0) lines.push('Notes:', ...result.notes.map((note) => `  - ${note}`))
    if (result.notConverted.length > 0) {
      lines.push(`Not converted (${result.notConverted.length}):`, ...result.notConverted.map((item) => `  - ${item.item}: ${item.reason}`))
    }
    if (flags['dry-run']) lines.push('', serializeConfig(config).trimEnd())
    else if (changed) lines.push('Check the result with `sentra config validate` and `sentra patterns list`.')
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
