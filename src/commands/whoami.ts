import { Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { findRepoRoot } from '../git/repo.js'
import { NO_IDENTITY_HELP, publicKeyInfo } from '../vault/keystore/index.js'
import { plaintextFilePath, plaintextWarning } from '../vault/keystore/plaintext-file.js'
import { readWorkingChain } from '../vault/manifest/chain.js'
import { ownerOfSigningKey } from '../vault/manifest/state.js'

export default class Whoami extends SentraCommand {
  static override summary = "Show this device's recipient and signing key (and your name in this repository's team)."
  static override description = `Prints the public half of the key sentra would use, and where it comes from: SENTRA_IDENTITY,
SENTRA_IDENTITY_FILE, a running agent (sentra unlock), or the store chosen at keygen. Nothing is unlocked:
no passphrase is asked. Inside a repository with a team manifest, also prints your member name and role.`

  static override examples = [
    { command: '<%= config.bin %> whoami', description: 'Recipient, signing key and key source.' },
    { command: '<%= config.bin %> whoami --json', description: 'The same as JSON.' },
  ]

  static override flags = {
    json: Flags.boolean({ description: 'Print as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Whoami)
    const info = await publicKeyInfo()
    if (!info) throw new UserError(`no identity on this device: ${NO_IDENTITY_HELP}`)
    if (info.source === 'plaintext') process.stderr.write(`sentra: warning: ${plaintextWarning(plaintextFilePath())}\n`)
    let member: { name: string; role: string; active: boolean } | undefined
    const repoRoot = findRepoRoot(process.cwd())
    if (repoRoot) {
      try {
        const chain = readWorkingChain(repoRoot)
        const owner = chain ? ownerOfSigningKey(chain.state, info.signingKey) : undefined
        if (owner) member = { name: owner.member.name, role: owner.member.role, active: owner.active }
      } catch {
        // whoami only shows the membership; `sentra verify` reports a broken manifest.
      }
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...info, ...(member ? { member } : {}) }, null, 2)}\n`)
      return
    }
    const lines = [`recipient:    ${info.recipient}`, `signing key:  ${info.signingKey}`, `key source:   ${describeSource(info.source)}${info.expires ? ` (until ${info.expires})` : ''}`]
    if (member) lines.push(`member:       ${member.name} (${member.role}${member.active ? '' : ', removed'})`)
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}

function describeSource(source: string): string {
  switch (source) {
    case 'env':
      return 'SENTRA_IDENTITY'
    case 'env-file':
      return 'SENTRA_IDENTITY_FILE'
    case 'agent':
      return 'sentra agent (unlocked)'
    case 'keyring':
      return 'OS credential store'
    case 'file':
      return 'passphrase-protected key file'
    default:
      return 'UNENCRYPTED key file (--insecure-plaintext-key)'
  }
}
