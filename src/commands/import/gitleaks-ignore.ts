import { Args, Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { readInputFile } from '../../cli/input-file.js'
import { writeFileAtomic } from '../../cli/output.js'
import { loadConfigFile } from '../../config/config.js'
import { importGitleaksIgnore } from '../../import/gitleaks-ignore.js'
import { createScanContext } from '../../scan/context.js'
import { appendIgnoreEntries, IGNORE_FILE, IGNORE_FILE_HEADER } from '../../suppress/ignore-file.js'
import { describeRecovery } from '../../import/report.js'

export default class ImportGitleaksIgnore extends SentraCommand {
  static override summary = 'Turn a .gitleaksignore into .sentraignore fingerprints.'
  static override description = `gitleaks ignores a finding by where it was (commit:file:rule:line or file:rule:line), which breaks on
every edit, rebase or squash. This command re-scans each place (the file at that commit for history
entries) with sentra's rules, recovers the secret behind the entry, and writes its sentra
fingerprint to .sentraignore, which survives edits and renames. A finding is picked by the sentra
rules mapped to the gitleaks rule (docs/migration.md), else by being on that line. Entries that lead
to no finding are listed with the reason. Existing entries are kept; running it twice adds nothing.`

  static override examples = [
    { command: '<%= config.bin %> import gitleaks-ignore', description: 'Import ./.gitleaksignore into .sentraignore.' },
    { command: '<%= config.bin %> import gitleaks-ignore ci/.gitleaksignore --keep-paths', description: 'Keep each entry limited to its file.' },
    { command: '<%= config.bin %> import gitleaks-ignore --dry-run --json', description: 'Show what would be added.' },
  ]

  static override args = {
    file: Args.string({ description: 'The .gitleaksignore file.', default: '.gitleaksignore', ignoreStdin: true }),
  }

  static override flags = {
    output: Flags.string({ char: 'o', description: `Ignore file to add to (default: ${IGNORE_FILE} at the repository root).` }),
    'keep-paths': Flags.boolean({ description: 'Limit each entry to the file it was found in (default: the fingerprint alone, valid anywhere).' }),
    config: Flags.string({ char: 'c', description: 'Config file to use instead of .sentra/config.json.' }),
    'dry-run': Flags.boolean({ description: 'Show what would be added; write nothing.' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImportGitleaksIgnore)
    const cwd = process.cwd()
    const text = readInputFile(args.file, cwd)
    const config = flags.config ? loadConfigFile(flags.config) : undefined
    const ctx = createScanContext(cwd, config ? { config } : {})
    const result = importGitleaksIgnore(ctx, text, { keepPaths: flags['keep-paths'] })
    const target = flags.output ? (isAbsolute(flags.output) ? flags.output : resolve(cwd, flags.output)) : join(ctx.baseDir, IGNORE_FILE)
    const shown = relative(cwd, target) || target
    let existing = ''
    try {
      existing = readFileSync(target, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    const { text: updated, added } = appendIgnoreEntries(existing === '' ? IGNORE_FILE_HEADER : existing, result.additions, `imported from ${args.file} by \`sentra import gitleaks-ignore\``)
    if (added > 0 && !flags['dry-run']) writeFileAtomic(target, updated)
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({
        source: args.file,
        target: shown,
        written: added > 0 && !flags['dry-run'],
        entries: result.total,
        recovered: result.recovered.length,
        added,
        fingerprints: result.additions.map((a) => a.fingerprint),
        unrecovered: result.unrecovered.map((u) => ({ entry: u.entry.label, reason: u.reason })),
        malformed: result.malformed,
      }, null, 2)}\n`)
      return
    }
    const lines = [
      `${args.file}: ${result.total} entr${result.total === 1 ? 'y' : 'ies'}, ${result.recovered.length} recovered; ${added} fingerprint(s) ${flags['dry-run'] ? 'would be ' : ''}added to ${shown}.`,
      ...describeRecovery(result.recovered, result.unrecovered),
      ...result.malformed.map((m) => `  ! line ${m.line}: not a gitleaks fingerprint (commit:file:rule:line or file:rule:line): ${m.text}`),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
