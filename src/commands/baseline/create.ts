import { Args, Flags } from '@oclif/core'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { writeFileAtomic } from '../../cli/output.js'
import { loadConfigFile } from '../../config/config.js'
import { createScanContext } from '../../scan/context.js'
import { baselineFromFindings, DEFAULT_BASELINE, serializeBaseline } from '../../suppress/baseline.js'
import { readJsonReport, scanForBaseline } from '../../suppress/baseline-sources.js'

export default class BaselineCreate extends SentraCommand {
  static override summary = 'Accept every current finding in a baseline file, so only new findings fail.'
  static override description = `Scans the repository (or the given paths) and writes every finding's fingerprint to a baseline
file (default: ${DEFAULT_BASELINE}). Then \`sentra scan --baseline ${DEFAULT_BASELINE}\` and
\`sentra guard --baseline ${DEFAULT_BASELINE}\` report and fail only on findings not in it.

The file is sorted by fingerprint, one entry per line, with no timestamps, line numbers or counts:
the same findings always give the same bytes, and branches rarely conflict on it. Entries match by
fingerprint (the rule plus a keyed hash of the secret), so edits and renames keep them valid. The
files listed in an entry are there for readers only. Findings already ignored by .sentraignore are
not added. Commit the file; the guard never rewrites it.

To accept what a history scan found, give its JSON report: \`sentra scan --history --json -o r.json\`
then \`sentra baseline create --from-report r.json\`.`

  static override examples = [
    { command: '<%= config.bin %> baseline create', description: `Accept every current finding into ${DEFAULT_BASELINE}.` },
    { command: '<%= config.bin %> scan --baseline .sentra/baseline.json', description: 'Then fail only on new findings.' },
    { command: '<%= config.bin %> baseline create --from-report history.json --force', description: 'Accept what a saved `sentra scan --json` report found.' },
  ]

  static override strict = false
  static override args = {
    paths: Args.string({ description: 'Files or directories to scan (default: the whole repository).', ignoreStdin: true }),
  }

  static override flags = {
    output: Flags.string({ char: 'o', description: `Baseline file to write (default: ${DEFAULT_BASELINE} at the repository root).` }),
    force: Flags.boolean({ description: 'Overwrite an existing baseline file (see also `sentra baseline update`).' }),
    'from-report': Flags.string({ description: 'Take the findings from a `sentra scan --json` report instead of scanning.' }),
    config: Flags.string({ char: 'c', description: 'Config file to use instead of .sentra/config.json.' }),
    'include-fixtures': Flags.boolean({ description: 'Also scan the test-fixture paths declared in the config.' }),
    threads: Flags.integer({ description: 'Worker threads for the scan.', min: 0, max: 64 }),
    json: Flags.boolean({ description: 'Print what was written as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(BaselineCreate)
    const cwd = process.cwd()
    const config = flags.config ? loadConfigFile(flags.config) : undefined
    const ctx = createScanContext(cwd, config ? { config } : {})
    const target = flags.output ? (isAbsolute(flags.output) ? flags.output : resolve(cwd, flags.output)) : join(ctx.baseDir, DEFAULT_BASELINE)
    const shown = relative(cwd, target) || target
    if (existsSync(target) && !flags.force) {
      throw new UserError(`${shown} already exists: use \`sentra baseline update\` to refresh it, or --force to replace it`)
    }
    const paths = argv as string[]
    if (flags['from-report'] && paths.length > 0) throw new UserError('give either paths or --from-report, not both')
    const findings = flags['from-report']
      ? readJsonReport(flags['from-report'], cwd)
      : await scanForBaseline(ctx, {
          paths: paths.length > 0 ? paths : [ctx.baseDir],
          cwd,
          includeFixtures: flags['include-fixtures'],
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
        })
    const baseline = baselineFromFindings(findings)
    mkdirSync(dirname(target), { recursive: true })
    writeFileAtomic(target, serializeBaseline(baseline))
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file: shown, accepted: baseline.findings.length, fingerprints: baseline.findings.map((e) => e.fingerprint) }, null, 2)}\n`)
    } else {
      const count = baseline.findings.length
      process.stdout.write(`Wrote ${shown}: ${count} finding${count === 1 ? '' : 's'} accepted (${findings.length} occurrence${findings.length === 1 ? '' : 's'}).\n`)
      if (count > 0) process.stdout.write(`Commit it, and scan with \`sentra scan --baseline ${shown}\` to fail only on new findings.\n`)
    }
  }
}
