import { Args, Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { VaultContext } from '../../vault/context.js'
import type { Role } from '../../vault/manifest/entry.js'
import { readRequestFile, requestPath } from '../../vault/requests.js'
import { accessFlags, printAccessChange, runAccessChange } from '../../cli/access-change.js'
import { normalizeRepoPath } from '../../vault/encoding.js'
import { relative } from 'node:path'

export default class TeamAdd extends SentraCommand {
  static override summary = "Approve a newcomer's access request: add them to the team (admins only)."
  static override description = `Reads the newcomer's self-signed request (.sentra/requests/NAME.json, made by \`sentra team
request-access NAME\`), checks its signature and that it was made for this team, and appends a signed
\`add-member\` entry to the manifest. Public keys are never typed by hand. The request file is removed.

In the same step, every encrypted file in the newcomer's scope gets one more wrapped copy of its data
key, for them: no value is re-encrypted, so the diffs are small (whole .age files are re-encrypted:
age has no re-wrap). You must be able to decrypt those files; if you cannot, nothing changes and sentra
names who can. The change is staged in git; --commit commits it.

--role: admin (may change the team), member (reads and writes its paths), service (read-only, for CI,
never signs). --paths limits which repository paths the member can read and write (globs; default all).
--device adds the request's key as another device of an existing member.`

  static override examples = [
    { command: '<%= config.bin %> team add bob', description: 'Add bob as a member with access to all paths.' },
    { command: "<%= config.bin %> team add ci --role service --paths 'deploy/**'", description: 'A read-only CI identity for deploy/.' },
    { command: '<%= config.bin %> team add bob --device', description: "Add bob's second device." },
  ]

  static override args = {
    name: Args.string({ description: 'The member name in the request.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    role: Flags.string({ description: 'Role of the new member.', options: ['admin', 'member', 'service'], default: 'member' }),
    paths: Flags.string({ description: 'Glob of paths the member may access (repeatable; default: all).', multiple: true }),
    request: Flags.string({ description: 'The request file (default: .sentra/requests/NAME.json).' }),
    device: Flags.boolean({ description: 'Add the request key as another device of an existing member.', exclusive: ['role', 'paths'] }),
    ...accessFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamAdd)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const path = flags.request ? resolve(ctx.cwd, flags.request) : requestPath(repoRoot, args.name)
    const request = readRequestFile(path)
    if (request.name !== args.name) throw new UserError(`the request in ${flags.request ?? path} is for "${request.name}", not "${args.name}"`)
    const key = await ctx.key()
    const requestFile = normalizeRepoPath(relative(repoRoot, path))
    const commitMessage = `sentra: ${flags.device ? `add a device of ${args.name}` : `add ${args.name}`} and share the files in their scope`
    const result = await runAccessChange(ctx, key, {
      command: `sentra team add ${args.name}${flags.device ? ' --device' : ''}`,
      commitMessage,
      commit: flags.commit,
      ...(flags.request ? {} : { removeFiles: [requestFile] }),
      buildOp: (state) => {
        if (request.team !== state.root) throw new UserError(`the request was made for another team (root ${request.team.slice(0, 16)}…, this team is ${state.root.slice(0, 16)}…)`)
        if (flags.device) return { type: 'add-device', name: args.name, request }
        if (state.members.get(args.name)?.removedAt === undefined && state.members.has(args.name)) {
          throw new UserError(`${args.name} is already a member: use --device to add this key as another of their devices`)
        }
        return { type: 'add-member', name: args.name, role: flags.role as Role, paths: flags.paths && flags.paths.length > 0 ? flags.paths : null, request }
      },
    })
    const member = result.after.members.get(args.name)!
    printAccessChange(result, {
      json: flags.json,
      commitMessage,
      headline: `${flags.device ? `Added a device to ${args.name}` : `Added ${args.name} as ${member.role}`} (${member.paths ? `paths: ${member.paths.join(', ')}` : 'all paths'}); recipient ${request.recipient}.`,
      data: { name: member.name, role: member.role, paths: member.paths, recipient: request.recipient, signingKey: request.signingKey },
    })
  }
}
