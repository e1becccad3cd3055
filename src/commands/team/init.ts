import { Flags } from '@oclif/core'
import { basename } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { VaultContext } from '../../vault/context.js'
import { initTeam } from '../../vault/team.js'

export default class TeamInit extends SentraCommand {
  static override summary = 'Create the team manifest (.sentra/team.jsonl) with you as its first admin.'
  static override description = `Writes the first entry of the signed, hash-chained team manifest: the team root. Its hash is the
team's trust anchor: every clone pins it on first use (like SSH known_hosts) and CI passes it as
SENTRA_TEAM_ROOT, so nobody can replace .sentra/ with a new self-signed team. Publish the printed root
where your team can check it (README, CI settings).`

  static override examples = [{ command: '<%= config.bin %> team init --name alice --team payments', description: 'Start a team with alice as admin.' }]

  static override flags = {
    name: Flags.string({ description: 'Your member name (lower case, e.g. alice).', required: true }),
    team: Flags.string({ description: 'The team name (default: the repository directory name).' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(TeamInit)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const key = await ctx.key()
    const chain = await initTeam({ repoRoot, signer: key, name: flags.name, team: flags.team ?? basename(repoRoot) })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ team: chain.state.team, root: chain.state.root, admin: flags.name, recipient: key.recipient }, null, 2)}\n`)
      return
    }
    process.stdout.write(
      [
        `Created team "${chain.state.team}" with ${flags.name} as admin (.sentra/team.jsonl).`,
        `Team root: ${chain.state.root}`,
        'Publish this root: clones pin it on first use, and CI sets SENTRA_TEAM_ROOT to it.',
        'Next: commit .sentra/; a newcomer runs `sentra team request-access NAME`, then you run `sentra team add NAME`.',
      ].join('\n') + '\n',
    )
  }
}
