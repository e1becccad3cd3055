import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { runScan } from '../cli/scan-run.js'
import { REPORT_FORMATS } from '../report/index.js'
import { SEVERITIES } from '../scan/rule.js'
import { GIT_SCAN_FLAGS } from '../cli/git-scan.js'

// The body is runScan (src/cli/scan-run.ts), shared with the fast entry src/fast/scan.ts, which parses
// these flags without oclif: its flag table (src/fast/scan-args.ts) is checked against this one by
// test/cli/scan-fast.test.ts. A flag added here must be added there.
export default class Scan extends SentraCommand {
  static override summary = 'Scan files, directories or stdin for secrets.'
  static override description = `Scans the given paths (default: the current directory). Inside a git repository the file list
comes from git, so .gitignore is respected; lock files, source maps and binary files are skipped.
Files encrypted by sentra or sops are recognised and only their key names and comments are scanned.

With --staged, --history, --since, --range or --commits the scan reads git instead of the work tree:
the lines the staged change or each commit adds. History is streamed from \`git log -p\`; a secret
seen in many commits is reported once, with the commit, author and date that introduced it.

Secrets are redacted in every output unless --no-redact is given. Each finding carries a
fingerprint (rule + keyed hash of the secret) that survives edits and renames.

Findings whose fingerprint is in .sentraignore (or in the --baseline file) are not reported; inline
\`sentra:allow\` markers hide their own line, \`sentra:allow-next-line\` the next one.

Exit codes: 0 no findings, 1 findings (with --fail-on: findings at or above that severity; with
--report-unused-ignores: also stale .sentraignore entries), 2 usage or runtime error.`

  static override examples = [
    { command: '<%= config.bin %> scan', description: 'Scan the current repository (tracked and untracked, not ignored).' },
    { command: '<%= config.bin %> scan src config/app.yaml', description: 'Scan some paths.' },
    { command: 'cat .env | <%= config.bin %> scan --stdin --stdin-filename .env', description: 'Scan standard input.' },
    { command: '<%= config.bin %> scan --format sarif --output sentra.sarif', description: 'Write SARIF for code scanning in CI.' },
    { command: '<%= config.bin %> scan --format github --fail-on high --baseline .sentra/baseline.json', description: 'CI: annotate the pull request; fail only on new findings of high severity or above.' },
    { command: '<%= config.bin %> scan --history', description: 'Scan every commit of every branch; each secret is reported in the commit that introduced it.' },
    { command: '<%= config.bin %> scan --range origin/main..HEAD', description: 'Scan what pushing HEAD over origin/main would add.' },
  ]

  static override strict = false
  static override args = {
    paths: Args.string({ description: 'Files or directories to scan (default: .).', ignoreStdin: true }),
  }

  static override flags = {
    stdin: Flags.boolean({ description: 'Scan standard input instead of paths.' }),
    'stdin-filename': Flags.string({ description: 'Name to report (and match path rules against) for --stdin (default: stdin).', dependsOn: ['stdin'] }),
    format: Flags.string({ char: 'f', description: 'Output format.', options: [...REPORT_FORMATS], default: 'text' }),
    json: Flags.boolean({ description: 'Same as --format json.' }),
    output: Flags.string({ char: 'o', description: 'Write the report to this file (atomically) instead of stdout.' }),
    color: Flags.boolean({ description: 'Colour text output (default: on a terminal, off with NO_COLOR).', allowNo: true }),
    redact: Flags.boolean({ description: 'Redact secrets in the output. --no-redact prints them in clear: never in CI logs.', allowNo: true, default: true }),
    'include-fixtures': Flags.boolean({ description: 'Also scan the test-fixture paths declared in .sentra/config.json.' }),
    config: Flags.string({ char: 'c', description: 'Config file to use instead of .sentra/config.json.' }),
    threads: Flags.integer({ description: 'Worker threads (default: one per core for large scans; 0 or 1 for none).', min: 0, max: 64 }),
    verbose: Flags.boolean({ char: 'v', description: 'Also list skipped binary and encrypted files.' }),
    baseline: Flags.string({ description: 'Baseline file of accepted findings (sentra baseline create): only findings not in it are reported.' }),
    'fail-on': Flags.string({ description: 'Exit 1 only for findings at or above this severity; the others are still reported.', options: [...SEVERITIES] }),
    'report-unused-ignores': Flags.boolean({ description: 'List .sentraignore entries that matched no finding, and exit 1 if there are any (use on full scans).' }),
    ...GIT_SCAN_FLAGS,
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Scan)
    this.exit(await runScan(flags, argv as string[]))
  }
}
