import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { readPushInput } from '../fast/guard.js'
import { runGuard } from '../fast/run-guard.js'
import { REPORT_FORMATS, type ReportFormat } from '../report/index.js'
import { SEVERITIES, type Severity } from '../scan/rule.js'

/**
 * `sentra guard` normally never reaches this class: bin/run.js sends it to the fast entry
 * (src/fast/guard.ts), which skips oclif's start-up. This class serves `--help`, the manifest, and
 * SENTRA_FAST_GUARD=0; both parse the same flags and call the same runGuard.
 */
export default class Guard extends SentraCommand {
  static override summary = 'Block a commit (or push) that adds a secret: the pre-commit hook.'
  static override description = `Scans exactly what is being committed: the lines the staged change adds (the index, never the
work tree), reported at their line in the new file. A next-line allow marker on the unchanged line
above an addition is honoured. In a merge, only what the merge itself adds is scanned (a conflict
resolution); the merged commits are checked when they are committed and at push.

With --pre-push, reads the refs git is pushing from standard input (as a pre-push hook gets them)
and scans every commit the push adds, including a new branch; rebased and cherry-picked commits,
which never ran the pre-commit hook, are caught there.

Install it as a hook with \`sentra hook install\` (or through the pre-commit framework or husky).
\`git commit --no-verify\` skips every hook, sentra's included.

Exit codes: 0 nothing found, 1 secrets found (the commit or push is blocked), 2 git or sentra
failed (also blocks: the guard fails closed).`

  static override examples = [
    { command: '<%= config.bin %> guard', description: 'Scan the staged change (what `git commit` would record).' },
    { command: '<%= config.bin %> guard --json', description: 'The same, as a JSON report.' },
    {
      command: 'echo "refs/heads/main $(git rev-parse main) refs/heads/main $(git rev-parse origin/main)" | <%= config.bin %> guard --pre-push',
      description: 'Scan what pushing main would add, as the pre-push hook does.',
    },
    { command: '<%= config.bin %> hook install --pre-push', description: 'Run the guard on every commit, merge and push of this repository.' },
  ]

  static override strict = false
  static override args = {
    remote: Args.string({ description: 'With --pre-push: the remote name git passes to the hook (informational).' }),
    url: Args.string({ description: 'With --pre-push: the remote URL git passes to the hook (informational).' }),
  }

  static override flags = {
    'pre-push': Flags.boolean({ description: 'Scan the commits being pushed (refs read from stdin, as git gives them to a pre-push hook).' }),
    format: Flags.string({ char: 'f', description: 'Output format.', options: [...REPORT_FORMATS], default: 'text' }),
    json: Flags.boolean({ description: 'Same as --format json.' }),
    color: Flags.boolean({ description: 'Colour text output (default: on a terminal, off with NO_COLOR).', allowNo: true }),
    verbose: Flags.boolean({ char: 'v', description: 'Print the report even when clean, and list skipped binary and encrypted files.' }),
    redact: Flags.boolean({ description: 'Redact secrets in the output. --no-redact prints them in clear.', allowNo: true, default: true }),
    config: Flags.string({ char: 'c', description: 'Config file to use instead of .sentra/config.json.' }),
    baseline: Flags.string({ description: 'Baseline file of accepted findings: only findings not in it block.' }),
    'fail-on': Flags.string({ description: 'Block only for findings at or above this severity; the others are still reported.', options: [...SEVERITIES] }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Guard)
    const format: ReportFormat = flags.json ? 'json' : (flags.format as ReportFormat)
    const code = await runGuard({
      cwd: process.cwd(),
      prePush: flags['pre-push'],
      ...(flags['pre-push'] ? { stdin: readPushInput() } : {}),
      format,
      ...(flags.color !== undefined ? { color: flags.color } : {}),
      verbose: flags.verbose,
      noRedact: !flags.redact,
      ...(flags.config !== undefined ? { config: flags.config } : {}),
      ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
      ...(flags['fail-on'] ? { failOn: flags['fail-on'] as Severity } : {}),
    })
    this.exit(code)
  }
}
