import { Args, Flags } from '@oclif/core'
import { relative } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import { ownerOfRecipient } from '../../vault/manifest/state.js'
import { createRequest, writeRequestFile } from '../../vault/requests.js'

export default class TeamRequestAccess extends SentraCommand {
  static override summary = "Ask to join the team: write a request signed with this device's key."
  static override description = `Writes .sentra/requests/NAME.json: your recipient and signing key, for this team's root, signed
with your key (proof that you hold it). Commit and push it (or send it to an admin); an admin approves it
with \`sentra team add NAME\`. Use the name of an existing member to add a second device to it.`

  static override examples = [{ command: '<%= config.bin %> team request-access bob', description: 'Request to join as bob.' }]

  static override args = {
    name: Args.string({ description: 'Your member name (lower case, e.g. bob).', required: true, ignoreStdin: true }),
  }

  static override flags = {
    json: Flags.boolean({ description: 'Print the request as JSON.' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRequestAccess)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const { state } = ctx.team('read')
    const key = await ctx.key()
    const owner = ownerOfRecipient(state, key.recipient)
    if (owner?.active) throw new UserError(`your key is already in the team as ${owner.member.name}`)
    const request = await createRequest(key, args.name, state.root)
    const path = writeRequestFile(repoRoot, request)
    const existing = state.members.get(args.name)
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(request, null, 2)}\n`)
      return
    }
    process.stdout.write(
      `Wrote ${relative(repoRoot, path)}: commit and push it, then ask an admin to run \`sentra team add ${args.name}${existing ? ' --device' : ''}\`.\n`,
    )
  }
}
