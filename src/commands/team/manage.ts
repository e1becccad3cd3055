import { Args, Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { VaultContext } from '../../vault/context.js'
import type { ManagedFormat } from '../../vault/manifest/entry.js'
import { appendOperation } from '../../vault/team.js'

export default class TeamManage extends SentraCommand {
  static override summary = 'Declare managed paths in the vault policy: which files are encrypted, in which format (admins only).'
  static override description = `Appends a signed vault-policy entry. Managed paths always go to exactly the recipients the manifest
gives (no one-off --recipient), and \`sentra verify\` reports a managed path committed in plaintext.
Formats: binary (whole-file age + signature); dotenv, json and yaml (per-value) are recorded for the
per-value format. --plain-key names keys that stay readable in per-value files. The first rule (in
manifest order) whose glob matches a path applies; declaring a glob again replaces its rule.`

  static override examples = [
    { command: "<%= config.bin %> team manage 'certs/**' --format binary", description: 'Every file under certs/ is a managed whole file.' },
    { command: "<%= config.bin %> team manage '.env.production' --format dotenv --plain-key '*_unencrypted'", description: 'A per-value file with plain keys.' },
  ]

  static override args = {
    glob: Args.string({ description: 'Glob of repository paths.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    format: Flags.string({ description: 'Format of the managed files.', options: ['binary', 'dotenv', 'json', 'yaml'], required: true }),
    'plain-key': Flags.string({ description: 'Key pattern that stays in clear (per-value formats; repeatable).', multiple: true }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamManage)
    const ctx = new VaultContext()
    const plainKeys = flags['plain-key'] ?? []
    const { chain } = await appendOperation({ repoRoot: ctx.repoRoot(), env: ctx.env, notice: ctx.notice, signer: await ctx.key() }, () => ({
      type: 'manage',
      glob: args.glob,
      format: flags.format as ManagedFormat,
      plainKeys,
    }))
    if (flags.json) process.stdout.write(`${JSON.stringify({ glob: args.glob, format: flags.format, plainKeys, head: chain.state.head }, null, 2)}\n`)
    else process.stdout.write(`${args.glob} is managed as ${flags.format}. Commit .sentra/team.jsonl.\n`)
  }
}
