import { Args, Flags } from '@oclif/core'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { EXIT_FINDINGS, EXIT_OK, UserError } from '../../cli/errors.js'
import { CONFIG_PATH } from '../../config/config.js'
import { findRepoRoot } from '../../git/repo.js'
import { loadPatternDir } from '../../scan/patterns.js'
import { checkConfig } from '../../suppress/config-check.js'

export default class ConfigValidate extends SentraCommand {
  static override summary = 'Check .sentra/config.json (and .sentraignore) and explain every problem.'
  static override description = `Validates the scanner config against its schema (unknown keys are errors, never ignored), then
checks what the schema cannot: rule ids named in disabledRules and ruleOverrides exist, every regex
compiles, every glob parses, each custom rule finds its own examples and none of its negatives, and
every .sentraignore line is a fingerprint of an existing rule.

Exit codes: 0 valid (also when there is no config: the defaults apply), 1 problems found, 2 the
file given cannot be read.`

  static override examples = [
    { command: '<%= config.bin %> config validate', description: `Check ${CONFIG_PATH} of the repository you are in.` },
    { command: '<%= config.bin %> config validate ci/sentra.json --json', description: 'Check another file; report as JSON.' },
  ]

  static override args = {
    file: Args.string({ description: `Config file (default: ${CONFIG_PATH} at the repository root).`, ignoreStdin: true }),
  }

  static override flags = {
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigValidate)
    const cwd = process.cwd()
    const root = findRepoRoot(cwd) ?? cwd
    const path = args.file ? (isAbsolute(args.file) ? args.file : resolve(cwd, args.file)) : join(root, CONFIG_PATH)
    const shown = relative(cwd, path) || path
    const print = (valid: boolean, errors: string[], warnings: string[], extra: Record<string, unknown> = {}) => {
      if (flags.json) process.stdout.write(`${JSON.stringify({ file: shown, valid, errors, warnings, ...extra }, null, 2)}\n`)
      else {
        for (const error of errors) process.stdout.write(`error: ${shown}: ${error}\n`)
        for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`)
      }
    }
    if (!existsSync(path)) {
      if (args.file) throw new UserError(`${shown}: no such file`)
      if (!flags.json) process.stdout.write(`No ${shown}: sentra uses its defaults (create one with \`sentra init\`).\n`)
      else print(true, [], [], { exists: false })
      this.exit(EXIT_OK)
    }
    let doc: unknown
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'))
    } catch (error) {
      const reason = error instanceof SyntaxError ? `not valid JSON: ${error.message}` : `cannot read: ${(error as Error).message}`
      print(false, [reason], [])
      this.exit(EXIT_FINDINGS)
    }
    // The ignore file is checked only beside the repository's own config.
    const ignoreRoot = dirname(dirname(path)) === root ? root : undefined
    const check = checkConfig(doc, loadPatternDir(), ignoreRoot)
    const valid = check.errors.length === 0
    print(valid, check.errors, check.warnings, { customRules: check.customRules, activeRules: check.activeRules })
    if (!flags.json && valid) {
      process.stdout.write(`${shown} is valid: ${check.customRules} custom rule(s), ${check.activeRules} rule(s) active.\n`)
    }
    this.exit(valid ? EXIT_OK : EXIT_FINDINGS)
  }
}
