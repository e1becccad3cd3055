import { Args, Flags } from '@oclif/core'
import { relative, resolve } from 'node:path'
import { SentraCommand } from '../cli/base.js'
import { EXIT_FINDINGS, EXIT_OK } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { normalizeRepoPath } from '../vault/encoding.js'
import { verifyRepository } from '../vault/verify.js'

export default class Verify extends SentraCommand {
  static override summary = 'Check the team manifest and the encrypted files with public data only (for CI).'
  static override description = `Needs no private key. Checks:
  - the team manifest: every entry signed by an admin of that moment, hash-chained, not reordered,
    truncated or edited; its root equal to the pinned one (or SENTRA_TEAM_ROOT / --root; with CI=true
    and neither, verify fails rather than trust on first use); not older than the newest chain this clone
    verified on the default branch's upstream;
  - with --base REF: that this change's manifest extends REF's (a pull request may only append, so it
    cannot drop a removal);
  - every encrypted file (FILE.age, and every per-value dotenv/JSON/YAML file): well formed, signed by a
    current member allowed to write that path, bound to its path, unchanged since signing (any byte,
    comments and order included), addressed to exactly the recipients the manifest gives (no drift, no
    removed key); every value not declared plain in encrypted form, the plain keys those of the vault
    policy; no managed path committed in plaintext, and no file left with git conflict markers (git
    merged it as text: run \`sentra init\`, then redo the merge).

verify checks signed claims with public data only: it cannot see inside ciphertext, so only a decrypt
proves that every recipient can really read a file. In particular only a decrypt checks a per-value
file's DEK commitment (that the data key wrapped for you is the file's one).

Exit codes: 0 all good, 1 problems found, 2 usage or runtime error.`

  static override examples = [
    { command: '<%= config.bin %> verify', description: 'Check this repository.' },
    { command: 'SENTRA_TEAM_ROOT=<root> <%= config.bin %> verify --base origin/main --json', description: 'In CI, for a pull request.' },
  ]

  static override strict = false
  static override args = {
    paths: Args.string({ description: 'Limit the file checks to these paths (default: all).', ignoreStdin: true }),
  }

  static override flags = {
    root: Flags.string({ description: 'Expected team root hash (overrides SENTRA_TEAM_ROOT).' }),
    base: Flags.string({ description: 'Git revision whose manifest this one must extend (e.g. origin/main).' }),
    json: Flags.boolean({ description: 'Print the report as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Verify)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const paths = (argv as string[]).map((path) => normalizeRepoPath(relative(repoRoot, resolve(ctx.cwd, path))))
    const report = verifyRepository({ repoRoot, env: ctx.env, root: flags.root, base: flags.base, paths })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    } else {
      for (const message of report.notices) process.stderr.write(`sentra: ${message}\n`)
      const lines: string[] = []
      if (report.team) lines.push(`team "${report.team.name}": ${report.team.entries} manifest entries, ${report.team.members} members, root ${report.team.root.slice(0, 16)}…`)
      for (const problem of report.problems) lines.push(`problem: ${problem.message}`)
      lines.push(report.ok ? `ok: manifest verified, ${report.checkedFiles} encrypted file(s) checked` : `${report.problems.length} problem(s) found`)
      process.stdout.write(`${lines.join('\n')}\n`)
    }
    this.exit(report.ok ? EXIT_OK : EXIT_FINDINGS)
  }
}
