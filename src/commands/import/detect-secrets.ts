import { Args, Flags } from '@oclif/core'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { readInputFile } from '../../cli/input-file.js'
import { UserError } from '../../cli/errors.js'
import { writeFileAtomic } from '../../cli/output.js'
import { loadConfigFile } from '../../config/config.js'
import { importDetectSecrets } from '../../import/detect-secrets.js'
import { describeRecovery } from '../../import/report.js'
import { createScanContext } from '../../scan/context.js'
import { DEFAULT_BASELINE, emptyBaseline, loadBaseline, serializeBaseline, updateBaseline } from '../../suppress/baseline.js'
import { appendIgnoreEntries, IGNORE_FILE, IGNORE_FILE_HEADER } from '../../suppress/ignore-file.js'

export default class ImportDetectSecrets extends SentraCommand {
  static override summary = 'Carry a detect-secrets .secrets.baseline over to .sentraignore and a sentra baseline.'
  static override description = `Re-scans every file the detect-secrets baseline lists and finds each entry's secret again (by the
SHA-1 detect-secrets keeps of it, else by the mapped sentra rule on that line, else by the line):
- entries audited as false positives (is_secret: false) become .sentraignore fingerprints;
- the others (real or not audited) become entries of the sentra baseline (default
  ${DEFAULT_BASELINE}), so that, as with detect-secrets, only new findings fail:
  scan with --baseline ${DEFAULT_BASELINE}.
Entries sentra cannot find again are listed with the reason. Inline \`pragma: allowlist secret\`
markers need no import: sentra honours them. Running it twice adds nothing.`

  static override examples = [
    { command: '<%= config.bin %> import detect-secrets', description: 'Import ./.secrets.baseline.' },
    { command: '<%= config.bin %> import detect-secrets .secrets.baseline --dry-run', description: 'Show what would be written.' },
  ]

  static override args = {
    file: Args.string({ description: 'The detect-secrets baseline.', default: '.secrets.baseline', ignoreStdin: true }),
  }

  static override flags = {
    'ignore-file': Flags.string({ description: `Ignore file for false positives (default: ${IGNORE_FILE} at the repository root).` }),
    baseline: Flags.string({ description: `Baseline file for the other entries (default: ${DEFAULT_BASELINE} at the repository root).` }),
    config: Flags.string({ char: 'c', description: 'Config file to use instead of .sentra/config.json.' }),
    'dry-run': Flags.boolean({ description: 'Show what would be written; write nothing.' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImportDetectSecrets)
    const cwd = process.cwd()
    const text = readInputFile(args.file, cwd)
    const config = flags.config ? loadConfigFile(flags.config) : undefined
    const ctx = createScanContext(cwd, config ? { config } : {})
    let result
    try {
      result = importDetectSecrets(ctx, text)
    } catch (error) {
      throw new UserError(`${args.file}: ${(error as Error).message}`)
    }
    const at = (path: string | undefined, fallback: string) => (path ? (isAbsolute(path) ? path : resolve(cwd, path)) : join(ctx.baseDir, fallback))
    const ignorePath = at(flags['ignore-file'], IGNORE_FILE)
    const baselinePath = at(flags.baseline, DEFAULT_BASELINE)
    const shownIgnore = relative(cwd, ignorePath) || ignorePath
    const shownBaseline = relative(cwd, baselinePath) || baselinePath
    const write = !flags['dry-run']

    const existingIgnore = existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : ''
    const ignore = appendIgnoreEntries(existingIgnore === '' ? IGNORE_FILE_HEADER : existingIgnore, result.ignores, `imported from ${args.file} by \`sentra import detect-secrets\``)
    if (ignore.added > 0 && write) writeFileAtomic(ignorePath, ignore.text)

    const previous = existsSync(baselinePath) ? loadBaseline(baselinePath, shownBaseline) : emptyBaseline()
    const update = updateBaseline(previous, result.baseline, () => false)
    const baselineChanged = update.added.length > 0 || (!existsSync(baselinePath) && result.baseline.length > 0)
    if (baselineChanged && write) {
      mkdirSync(dirname(baselinePath), { recursive: true })
      writeFileAtomic(baselinePath, serializeBaseline(update.baseline))
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({
        source: args.file,
        entries: result.total,
        recovered: result.recovered.length,
        ignoreFile: { path: shownIgnore, added: ignore.added, written: ignore.added > 0 && write },
        baseline: { path: shownBaseline, added: update.added.length, written: baselineChanged && write },
        unrecovered: result.unrecovered.map((u) => ({ entry: u.entry.label, reason: u.reason })),
      }, null, 2)}\n`)
      return
    }
    const would = write ? '' : 'would be '
    const lines = [
      `${args.file}: ${result.total} entr${result.total === 1 ? 'y' : 'ies'}, ${result.recovered.length} recovered.`,
      `  ${ignore.added} false positive fingerprint(s) ${would}added to ${shownIgnore}`,
      `  ${update.added.length} accepted finding(s) ${would}added to ${shownBaseline}${update.added.length > 0 ? ` (scan with --baseline ${shownBaseline})` : ''}`,
      ...describeRecovery(result.recovered, result.unrecovered),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
