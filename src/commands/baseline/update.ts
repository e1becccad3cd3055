import { Args, Flags } from '@oclif/core'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { writeFileAtomic } from '../../cli/output.js'
import { loadConfigFile } from '../../config/config.js'
import { createScanContext } from '../../scan/context.js'
import { DEFAULT_BASELINE, loadBaseline, serializeBaseline, updateBaseline } from '../../suppress/baseline.js'
import { coverageOf, readJsonReport, scanForBaseline } from '../../suppress/baseline-sources.js'

export default class BaselineUpdate extends SentraCommand {
  static override summary = 'Refresh a baseline: accept new findings and drop entries that are gone.'
  static override description = `Scans again and rewrites the baseline file (default: ${DEFAULT_BASELINE}): findings not in it are
added, entries whose secret the scan no longer finds are removed (unless --no-prune). When paths are
given, only entries seen exclusively under those paths can be removed. Unchanged findings leave the
file byte-for-byte identical.

Run it on purpose, after reviewing new findings: every finding it adds stops failing scans.`

  static override examples = [
    { command: '<%= config.bin %> baseline update', description: 'Accept new findings and drop fixed ones.' },
    { command: '<%= config.bin %> baseline update --no-prune', description: 'Only add, never remove.' },
    { command: '<%= config.bin %> baseline update --json', description: 'Report what changed as JSON.' },
  ]

  static override strict = false
  static override args = {
    paths: Args.string({ description: 'Files or directories to scan (default: the whole repository).', ignoreStdin: true }),
  }

  static override flags = {
    file: Flags.string({ description: `Baseline file to update (default: ${DEFAULT_BASELINE} at the repository root).` }),
    prune: Flags.boolean({ description: 'Remove entries whose secret is no longer found.', allowNo: true, default: true }),
    'from-report': Flags.string({ description: 'Take the findings from a `sentra scan --json` report instead of scanning.' }),
    config: Flags.string({ char: 'c', description: 'Config file to use instead of .sentra/config.json.' }),
    'include-fixtures': Flags.boolean({ description: 'Also scan the test-fixture paths declared in the config.' }),
    threads: Flags.integer({ description: 'Worker threads for the scan.', min: 0, max: 64 }),
    json: Flags.boolean({ description: 'Print what changed as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(BaselineUpdate)
    const cwd = process.cwd()
    const config = flags.config ? loadConfigFile(flags.config) : undefined
    const ctx = createScanContext(cwd, config ? { config } : {})
    const target = flags.file ? (isAbsolute(flags.file) ? flags.file : resolve(cwd, flags.file)) : join(ctx.baseDir, DEFAULT_BASELINE)
    const shown = relative(cwd, target) || target
    const previous = loadBaseline(target, shown)
    const paths = argv as string[]
    if (flags['from-report'] && paths.length > 0) throw new UserError('give either paths or --from-report, not both')
    const scanned = paths.length > 0 ? paths : [ctx.baseDir]
    const findings = flags['from-report']
      ? readJsonReport(flags['from-report'], cwd)
      : await scanForBaseline(ctx, {
          paths: scanned,
          cwd,
          includeFixtures: flags['include-fixtures'],
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
        })
    const covers = !flags.prune ? () => false : flags['from-report'] ? () => true : coverageOf(ctx.baseDir, scanned, cwd)
    const update = updateBaseline(previous, findings, covers)
    const before = serializeBaseline(previous)
    const after = serializeBaseline(update.baseline)
    if (after !== before) writeFileAtomic(target, after)
    if (flags.json) {
      const summary = {
        file: shown,
        changed: after !== before,
        added: update.added.map((entry) => entry.fingerprint),
        removed: update.removed.map((entry) => entry.fingerprint),
        kept: update.kept,
        total: update.baseline.findings.length,
      }
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
      return
    }
    const lines = [
      `${after === before ? 'Unchanged' : 'Updated'} ${shown}: ${update.added.length} added, ${update.removed.length} removed, ${update.kept} kept (${update.baseline.findings.length} in total).`,
      ...update.added.map((entry) => `  + ${entry.fingerprint}  ${entry.files.join(', ')}`),
      ...update.removed.map((entry) => `  - ${entry.fingerprint}  ${entry.files.join(', ')}`),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
