import { Args, Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { SentraCommand } from '../../cli/base.js'
import { UserError } from '../../cli/errors.js'
import { accessChangeJson, accessChangeText, accessFlags } from '../../cli/access-change.js'
import { VaultContext } from '../../vault/context.js'
import { rekeyByAdmin, rekeySelf, selfRekeyCommitMessage, type SelfRekeyResult } from '../../vault/rekey.js'

export default class TeamRekey extends SentraCommand {
  static override summary = 'Replace a device key: your own (the old key signs the new one), or, as an admin, a member\'s lost key.'
  static override description = `Your own key (no NAME): your current key must be an active device of a
member who is not a service member. sentra makes a new key (or takes
--new-identity FILE) and, in one change, all or nothing:
  1. appends a rekey entry to the team manifest, signed by the old key, with
     the old key's endorsement of the new one (label sentra/v1/rekey);
  2. gives every encrypted file the old key could read a fresh data key for
     the new key (the old key counts as removed: re-wrapping alone would let
     it read every future value), signed by the new key;
  3. stages the change in git (--commit commits it).
Then the new key replaces the old one where the old one was stored (OS
credential store; passphrase file, with a new passphrase you choose; the
plaintext file only if that is what you used), and an agent holding the old
key is stopped.

The old key is then gone from this device, and old git history stays
decryptable ONLY with the old key: --backup-old FILE keeps a
passphrase-protected copy if you need that history.

Key from SENTRA_IDENTITY / SENTRA_IDENTITY_FILE: sentra cannot change your
environment. Give --new-identity-out FILE (written 0600, never overwritten)
and point the variable at the new key afterwards.

A member's lost key (NAME, admins only): the member runs
\`sentra team request-access NAME\` with the new key, and an admin runs
\`sentra team rekey NAME\` (--device age1… picks the key when NAME has
several). Service members (CI) are rekeyed this way: they never sign.

Safety: the new key is kept (in the clone's git directory, encrypted to the
old key) from before the team changes until it is stored; an interrupted run
(crash, Ctrl-C, a key store that failed) is finished by running the same
command again. If the old key may have leaked, change the values it could read
at their providers too: rotation protects future values only. If your key is
also a member of other teams (other repositories), rekey there first, or
there request access with the new key and ask an admin for
\`sentra team rekey NAME\`.

Passphrases are read from the terminal, or one per line from standard input,
in this order: the old key file's (unless unlocked), a passphrase-protected
--new-identity file's, the old key file's again when the agent holds it and
--backup-old needs the key itself, the backup's, the new key file's.`

  static override examples = [
    { command: '<%= config.bin %> team rekey', description: 'Replace your key with a new one, rotating every file it could read.' },
    { command: '<%= config.bin %> team rekey --backup-old ~/old-sentra-key.age --commit', description: 'Keep a passphrase-protected copy of the old key (for old history) and commit the change.' },
    { command: '<%= config.bin %> team rekey --new-identity-out ~/.config/ci/new.key', description: 'Your key comes from SENTRA_IDENTITY_FILE: the new key is written here for you to point it at.' },
    { command: '<%= config.bin %> team rekey --new-identity ~/.config/age/key.txt', description: 'Use an existing age identity as the new key.' },
    { command: '<%= config.bin %> team rekey carol', description: "As an admin: replace carol's lost key with the one in .sentra/requests/carol.json." },
    { command: '<%= config.bin %> team rekey bob --device age1…', description: 'As an admin: replace one of several devices of bob.' },
  ]

  static override args = {
    // ignoreStdin: standard input carries passphrases, never the member name.
    name: Args.string({ description: 'Admins only: the member whose lost key is replaced by the key of their access request. Omit it to replace your own key.', ignoreStdin: true }),
  }

  static override flags = {
    device: Flags.string({ description: "With NAME: the recipient (age1…) to replace, when NAME has several devices." }),
    'new-identity': Flags.string({ description: 'Your own rekey: use this age identity file (plain, or a passphrase-protected sentra backup) as the new key instead of generating one.' }),
    'new-identity-out': Flags.string({ description: 'Your own rekey, with a key from SENTRA_IDENTITY / SENTRA_IDENTITY_FILE: write the new key to this file (0600, never overwritten).' }),
    'backup-old': Flags.string({ description: 'Your own rekey: write a passphrase-protected copy of the OLD key to this file (old history stays decryptable only with it).' }),
    ...accessFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TeamRekey)
    const ctx = new VaultContext()
    const repoRoot = ctx.repoRoot()
    const path = (file: string | undefined) => (file === undefined ? undefined : resolve(ctx.cwd, file))
    if (args.name) {
      const selfOnly = (['new-identity', 'new-identity-out', 'backup-old'] as const).filter((flag) => flags[flag] !== undefined)
      if (selfOnly.length > 0) throw new UserError(`--${selfOnly[0]} is for rekeying your own key (no NAME); with NAME, the new key comes from NAME's access request`)
      const commitMessage = `sentra: rekey ${args.name} and rotate what the old key could read`
      const result = await rekeyByAdmin({
        repoRoot,
        env: ctx.env,
        notice: ctx.notice,
        warn: ctx.warn,
        key: await ctx.key(),
        name: args.name,
        ...(flags.device ? { device: flags.device } : {}),
        ...(flags.commit ? { commitMessage } : {}),
      })
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ rekeyed: { member: result.name, old: result.old, recipient: result.recipient, signingKey: result.signingKey, by: 'admin' }, ...accessChangeJson(result.change) }, null, 2)}\n`)
        return
      }
      process.stdout.write(
        `${result.change.resumed ? '' : `Rekeyed ${result.name}: ${result.old} is removed, ${result.recipient} takes its place.\n`}${accessChangeText(result.change, commitMessage)}` +
          `${result.name} now uses the key of their request (for a CI identity: update the SENTRA_IDENTITY secret).\n`,
      )
      return
    }
    if (flags.device) throw new UserError('--device goes with NAME (an admin replacing one of a member\'s devices); your own rekey replaces the key you are using')
    const result = await rekeySelf({
      repoRoot,
      env: ctx.env,
      notice: ctx.notice,
      warn: ctx.warn,
      passphrases: ctx.passphrases,
      oldKey: await ctx.key(),
      ...(flags['new-identity'] ? { newIdentityFile: path(flags['new-identity'])! } : {}),
      ...(flags['new-identity-out'] ? { newIdentityOut: path(flags['new-identity-out'])! } : {}),
      ...(flags['backup-old'] ? { backupOld: path(flags['backup-old'])! } : {}),
      commit: flags.commit,
    })
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(selfJson(result), null, 2)}\n`)
      return
    }
    process.stdout.write(selfText(result))
  }
}

function selfJson(result: SelfRekeyResult): Record<string, unknown> {
  return {
    rekeyed: { member: result.name, old: result.old, recipient: result.recipient, signingKey: result.signingKey, by: 'self' },
    stored: result.stored ?? null,
    backup: result.backup ?? null,
    agentStopped: result.agentStopped,
    resumed: result.resumed,
    ...(result.change ? accessChangeJson(result.change) : {}),
  }
}

function selfText(result: SelfRekeyResult): string {
  if (result.alreadyComplete) return `Your rekey to ${result.recipient} was already complete; removed what the interrupted run left behind.\n`
  const out = [`Rekeyed ${result.name}: ${result.old} is removed, your new key ${result.recipient} takes its place.\n`]
  if (result.change) out.push(accessChangeText(result.change, selfRekeyCommitMessage(result.name)))
  const stored = result.stored!
  if (stored.kind === 'store') {
    out.push(`Your new key is stored in ${stored.location}; the old one is no longer on this device.\n`)
  } else {
    out.push(
      `Your new key is in ${stored.path} (0600). Point ${stored.variable} at it now${stored.variable === 'SENTRA_IDENTITY' ? ' (its value is the AGE-SECRET-KEY-1… line of that file)' : ''}: the old key no longer signs or reads new changes.\n`,
    )
  }
  out.push(result.backup ? `The old key is kept in ${result.backup} (passphrase-protected): old git history stays decryptable only with it.\n` : 'Old git history stays decryptable only with the old key (not kept: --backup-old FILE keeps a copy).\n')
  if (result.agentStopped) out.push('Stopped the agent holding the old key: `sentra unlock` unlocks the new one.\n')
  return out.join('')
}
