import { Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { parseDuration, startAgent } from '../vault/agent/client.js'
import { VaultContext } from '../vault/context.js'
import { identityFromEnv } from '../vault/keystore/env.js'
import { openStoredIdentity } from '../vault/keystore/index.js'

export default class Unlock extends SentraCommand {
  static override summary = 'Unlock your key once and keep it in a small agent process for a while (like ssh-agent).'
  static override description = `A passphrase-protected key costs about 1.5 s of scrypt per use, and git's drivers call sentra once
per file. \`sentra unlock\` opens the key once and starts an agent that holds it in memory only, reachable
over a unix socket (mode 0600, in a 0700 directory under $XDG_RUNTIME_DIR). The agent signs and unwraps
file keys on request and never hands the key out. It exits after --for, or at \`sentra lock\`.`

  static override examples = [
    { command: '<%= config.bin %> unlock', description: 'Unlock for 15 minutes.' },
    { command: '<%= config.bin %> unlock --for 2h', description: 'Unlock for two hours.' },
  ]

  static override flags = {
    for: Flags.string({ description: 'How long the agent keeps the key (e.g. 15m, 1h, 90s).', default: '15m' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Unlock)
    const lifetime = parseDuration(flags.for)
    const ctx = new VaultContext()
    const identity = identityFromEnv(ctx.env)?.identity ?? (await openStoredIdentity({ env: ctx.env, passphrases: ctx.passphrases, warn: ctx.warn }))[0]
    const status = await startAgent(identity, lifetime, ctx.env)
    if (flags.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
    else process.stdout.write(`Unlocked ${status.recipient} until ${status.expires} (agent socket ${status.socketPath}).\n\`sentra lock\` ends it sooner.\n`)
  }
}
