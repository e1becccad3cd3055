import { Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { CONFIG_PATH, loadConfig, loadConfigFile } from '../../config/config.js'
import { findRepoRoot } from '../../git/repo.js'
import { loadPatternDir } from '../../scan/patterns.js'
import { SEVERITIES, severityRank, type Severity } from '../../scan/rule.js'
import { effectiveRules } from '../../scan/rules-from-config.js'

export default class PatternsList extends SentraCommand {
  static override summary = 'List the detection rules: the built-in library plus custom rules from the config.'
  static override description = `Shows every rule a scan runs, with the config applied (custom rules added, severity overrides):
id, severity, tags, where it comes from and what it detects. --all also lists rules the config
disables or puts below minSeverity, marked as such. Use the ids in disabledRules, ruleOverrides,
and to read fingerprints (rule-id:hash).`

  static override examples = [
    { command: '<%= config.bin %> patterns list', description: 'Every active rule.' },
    { command: '<%= config.bin %> patterns list --tag aws', description: 'Only rules tagged aws.' },
    { command: '<%= config.bin %> patterns list --all --json', description: 'All rules, active or not, as JSON.' },
  ]

  static override flags = {
    tag: Flags.string({ description: 'Only rules with this tag.' }),
    severity: Flags.string({ description: 'Only rules at or above this severity.', options: [...SEVERITIES] }),
    all: Flags.boolean({ description: 'Include rules the config disables or filters out.' }),
    config: Flags.string({ char: 'c', description: `Config file to use instead of ${CONFIG_PATH}.` }),
    json: Flags.boolean({ description: 'Print the rules as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(PatternsList)
    const cwd = process.cwd()
    const config = flags.config ? loadConfigFile(flags.config) : loadConfig(findRepoRoot(cwd) ?? cwd).config
    const builtin = loadPatternDir()
    const active = new Map(effectiveRules(config, builtin).map((rule) => [rule.spec.id, rule]))
    const all = [...builtin, ...(config.rules ?? []).map((spec) => ({ spec, source: CONFIG_PATH }))]
    const disabled = new Set(config.disabledRules ?? [])
    const rows = all
      .map(({ spec, source }) => {
        const effective = active.get(spec.id)?.spec ?? spec
        const status = active.has(spec.id) ? 'active' : disabled.has(spec.id) ? 'disabled' : 'below-min-severity'
        return {
          id: spec.id,
          severity: effective.severity,
          tags: effective.tags,
          description: effective.description,
          source,
          status,
          keywords: effective.keywords,
          ...(effective.validator ? { validator: effective.validator } : {}),
          ...(effective.entropy !== undefined ? { entropy: effective.entropy } : {}),
        }
      })
      .filter((row) => flags.all || row.status === 'active')
      .filter((row) => !flags.tag || row.tags.includes(flags.tag))
      .filter((row) => !flags.severity || severityRank(row.severity) >= severityRank(flags.severity as Severity))
      .sort((a, b) => a.id.localeCompare(b.id))
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
      return
    }
    const width = Math.max(2, ...rows.map((row) => row.id.length))
    const lines = rows.map((row) => {
      const status = row.status === 'active' ? '' : ` [${row.status}]`
      return `${row.id.padEnd(width)}  ${row.severity.padEnd(8)}  ${row.description}${status}  (${row.source}${row.tags.length > 0 ? `; ${row.tags.join(', ')}` : ''})`
    })
    lines.push(`${rows.length} rule(s)${flags.all ? '' : ` active of ${all.length}`}.`)
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
