import { Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { EXIT_FINDINGS, EXIT_OK } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { buildStatus, renderStatusText } from '../vault/status.js'

export default class Status extends SentraCommand {
  static override summary = "Show the team's encrypted files and what they need: drift, rotations, removed keys, requests."
  static override description = `Reads public data only (the signed manifest, file metadata and signatures, git history): it needs
no key and works for someone with no identity at all. It shows:
  - the team: name, root, head, active members, recovery recipient;
  - every encrypted file (per-value files and FILE.age): its recipients by member name, its signer,
    and any problem the public checks find; managed paths committed in clear;
  - drift: files not encrypted to someone the manifest gives access (fix: sentra encrypt FILE, which
    re-wraps the data key for them), or still encrypted to someone no longer allowed (sentra rotate FILE);
  - files not rotated since a member or device was removed: still encrypted to the removed key, or
    re-wrapped without a fresh data key (the current data key is the one of a committed version that
    listed the removed key: found from git history, with one git log and one git cat-file);
  - removed keys still present in any encrypted file or access request;
  - access requests (.sentra/requests/*.json), checked: approve a valid one with sentra team add NAME;
  - an interrupted access change (re-run the command it names to complete or roll it back).

--json prints a stable shape (version 1): {version, team, files, clear, drift, notRotated, removedKeys,
requests, pendingChange, history, notices, attention}; each item that needs action carries a "fix"
command. Fields may be added in later versions, never renamed or removed.

Exit codes: 0 (also when something needs attention, unless --exit-code), 1 with --exit-code when
anything needs attention (drift, a file not rotated, a removed key present, a file in clear or failing
its checks, an invalid request, an interrupted change), 2 on errors.`

  static override examples = [
    { command: '<%= config.bin %> status', description: 'What the encrypted files need.' },
    { command: '<%= config.bin %> status --exit-code', description: 'In CI: fail when anything needs attention.' },
    { command: 'SENTRA_TEAM_ROOT=<root> <%= config.bin %> status --json', description: 'The report as JSON, with the team root given.' },
  ]

  static override flags = {
    json: Flags.boolean({ description: 'Print the report as JSON (version 1).' }),
    root: Flags.string({ description: 'Expected team root hash (overrides SENTRA_TEAM_ROOT).' }),
    'exit-code': Flags.boolean({ description: 'Exit 1 when anything needs attention.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Status)
    const ctx = new VaultContext()
    const report = await buildStatus({ repoRoot: ctx.repoRoot(), env: ctx.env, ...(flags.root ? { root: flags.root } : {}) })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    } else {
      for (const message of report.notices) ctx.notice(message)
      process.stdout.write(renderStatusText(report))
    }
    this.exit(flags['exit-code'] && report.attention > 0 ? EXIT_FINDINGS : EXIT_OK)
  }
}
