import { Flags } from '@oclif/core'
import { SentraCommand } from '../../cli/base.js'
import { VaultContext } from '../../vault/context.js'
import { describeOperation } from '../../vault/manifest/entry.js'
import { listRequestFiles } from '../../vault/requests.js'

export default class TeamList extends SentraCommand {
  static override summary = 'Show the team: members, roles, paths, device keys, vault policy and pending requests.'
  static override description = `Replays the signed manifest (.sentra/team.jsonl) and prints the current state. The manifest is checked
against the pinned root and the newest chain this clone has verified, exactly as encrypt and verify do.`

  static override examples = [
    { command: '<%= config.bin %> team list', description: 'Members and policy.' },
    { command: '<%= config.bin %> team list --json', description: 'The same as JSON.' },
    { command: '<%= config.bin %> team list --history', description: 'Also every manifest entry.' },
  ]

  static override flags = {
    json: Flags.boolean({ description: 'Print as JSON.' }),
    history: Flags.boolean({ description: 'Also list every manifest entry.' }),
    root: Flags.string({ description: 'Expected team root hash (default: the pinned one, or SENTRA_TEAM_ROOT).' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(TeamList)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const { state } = ctx.team('read', flags.root)
    const members = [...state.members.values()].map((member) => ({
      name: member.name,
      role: member.role,
      paths: member.paths,
      removed: member.removedAt !== undefined,
      devices: member.devices.map((device) => ({ recipient: device.recipient, signingKey: device.signingKey, removed: device.removedAt !== undefined })),
    }))
    const requests = listRequestFiles(repoRoot).map((file) => file.replace(/\.json$/, ''))
    if (flags.json) {
      const data = {
        team: state.team,
        root: state.root,
        head: state.head,
        entries: state.entries.length,
        members,
        policy: state.policy,
        recovery: state.recovery,
        pendingRequests: requests,
        ...(flags.history ? { history: state.entries.map((entry) => ({ seq: entry.seq, hash: entry.hash, time: entry.time, by: entry.by, op: entry.op.type, description: describeOperation(entry.op) })) } : {}),
      }
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`)
      return
    }
    const lines = [`Team "${state.team}"  root ${state.root}`, `  ${state.entries.length} manifest entries, head ${state.head.slice(0, 16)}…`, '', 'Members:']
    for (const member of members) {
      lines.push(`  ${member.name}  ${member.role}${member.removed ? '  (removed)' : ''}  ${member.paths ? `paths: ${member.paths.join(', ')}` : 'all paths'}`)
      for (const device of member.devices) lines.push(`    ${device.recipient}  ${device.signingKey}${device.removed ? '  (removed)' : ''}`)
    }
    lines.push('', 'Vault policy:')
    if (state.policy.length === 0) lines.push('  (no managed paths)')
    for (const rule of state.policy) lines.push(`  ${rule.glob}  ${rule.format}${rule.plainKeys.length > 0 ? `  plain keys: ${rule.plainKeys.join(', ')}` : ''}`)
    lines.push(`  recovery recipient: ${state.recovery ?? '(none)'}`)
    if (requests.length > 0) lines.push('', `Pending access requests: ${requests.join(', ')} (approve with sentra team add NAME)`)
    if (flags.history) {
      lines.push('', 'History:')
      for (const entry of state.entries) lines.push(`  #${entry.seq}  ${entry.time}  ${describeOperation(entry.op)}`)
    }
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
