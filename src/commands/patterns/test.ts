import { Args, Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { EXIT_FINDINGS, EXIT_OK, UserError } from '../../cli/errors.js'
import { CONFIG_PATH, loadConfigFile } from '../../config/config.js'
import { createScanContext } from '../../scan/context.js'
import { loadPatternDir } from '../../scan/patterns.js'
import { toReportPath } from '../../scan/sources/files.js'
import { explainText, type Explanation } from '../../suppress/explain.js'
import { loadIgnoreFile } from '../../suppress/ignore-file.js'

const LABEL: Record<Explanation['verdict'], string> = { found: 'FOUND', suppressed: 'SUPPRESSED', dropped: 'DROPPED', skipped: 'NOT RUN' }

export default class PatternsTest extends SentraCommand {
  static override summary = 'Test a string or a file against the rules: which rule matches, or why a match is dropped.'
  static override description = `Runs every rule over the text as a scan would and explains each match:
  FOUND       a finding (with its fingerprint);
  SUPPRESSED  found, but an inline allow marker or a .sentraignore entry hides it;
  DROPPED     the regex matched but a filter dropped it: entropy, placeholder, stopword, allow
              regex or validator (the reason is shown);
  NOT RUN     the regex would match but the rule does not run here: no keyword in the text, the
              path is excluded, the rule is disabled or below minSeverity.
Secrets are redacted unless --no-redact. Exit codes as for scan: 0 nothing found, 1 found.`

  static override examples = [
    { command: `<%= config.bin %> patterns test 'token = "abc123"'`, description: 'Test a string.' },
    { command: '<%= config.bin %> patterns test --file config/app.yaml', description: 'Test a file (path rules see its path).' },
    { command: 'pbpaste | <%= config.bin %> patterns test --stdin --rule aws-access-key-id', description: 'Test standard input against one rule.' },
  ]

  static override args = {
    text: Args.string({ description: 'The text to test (or use --file / --stdin).', ignoreStdin: true }),
  }

  static override flags = {
    file: Flags.string({ description: 'Test the content of this file.' }),
    stdin: Flags.boolean({ description: 'Test standard input.' }),
    path: Flags.string({ description: 'Treat the text as coming from this path (for rule paths and allowlists).' }),
    rule: Flags.string({ description: 'Only this rule.' }),
    redact: Flags.boolean({ description: 'Redact matched secrets in the output.', allowNo: true, default: true }),
    config: Flags.string({ char: 'c', description: `Config file to use instead of ${CONFIG_PATH}.` }),
    json: Flags.boolean({ description: 'Print the explanations as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PatternsTest)
    const sources = [args.text !== undefined, flags.file !== undefined, flags.stdin].filter(Boolean).length
    if (sources !== 1) throw new UserError('give exactly one of: a text argument, --file FILE, --stdin')
    const cwd = process.cwd()
    const config = flags.config ? loadConfigFile(flags.config) : undefined
    const ctx = createScanContext(cwd, config ? { config } : {})
    let text: string
    if (flags.file !== undefined) {
      try {
        text = readFileSync(flags.file, 'utf8')
      } catch (error) {
        throw new UserError(`${flags.file}: cannot read: ${(error as Error).message}`)
      }
    } else text = flags.stdin ? readFileSync(0, 'utf8') : args.text!
    const path = flags.path ?? (flags.file !== undefined ? toReportPath(ctx.baseDir, resolve(cwd, flags.file)) : 'stdin')
    const allRules = [...loadPatternDir(), ...(ctx.config.rules ?? []).map((spec) => ({ spec, source: CONFIG_PATH }))]
    if (flags.rule && !allRules.some((rule) => rule.spec.id === flags.rule)) throw new UserError(`unknown rule "${flags.rule}" (see \`sentra patterns list --all\`)`)
    const explanations = explainText(text, {
      allRules,
      activeRules: ctx.rules,
      config: ctx.config,
      salt: ctx.salt,
      path,
      ignores: loadIgnoreFile(ctx.baseDir),
      noRedact: !flags.redact,
      ...(flags.rule ? { only: flags.rule } : {}),
    })
    const found = explanations.some((e) => e.verdict === 'found')
    if (flags.json) process.stdout.write(`${JSON.stringify({ path, explanations }, null, 2)}\n`)
    else if (explanations.length === 0) process.stdout.write(`No rule matches${flags.rule ? ` (rule ${flags.rule})` : ''}.\n`)
    else {
      const lines = explanations.map((e) => {
        const at = e.line !== undefined ? ` ${e.line}:${e.column}` : ''
        const detail = e.verdict === 'found' ? `fingerprint ${e.fingerprint}` : e.reason
        return `${LABEL[e.verdict].padEnd(10)}  ${e.rule} (${e.severity})${at}  ${e.secret ?? ''}  ${detail}`
      })
      process.stdout.write(`${lines.join('\n')}\n`)
    }
    this.exit(found ? EXIT_FINDINGS : EXIT_OK)
  }
}
