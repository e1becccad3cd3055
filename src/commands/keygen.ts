import { Flags } from '@oclif/core'
import { SentraCommand } from '../cli/base.js'
import { UserError } from '../cli/errors.js'
import { VaultContext } from '../vault/context.js'
import { identityFromEnv } from '../vault/keystore/env.js'
import { openStoredIdentity } from '../vault/keystore/index.js'
import { readKeystoreRecord, type StoreKind } from '../vault/keystore/paths.js'
import { createIdentity, writeBackup } from '../vault/keygen.js'

export default class Keygen extends SentraCommand {
  static override summary = "Create (or import) this device's key: an age X25519 identity plus the Ed25519 signing key derived from it."
  static override description = `One key per device. The age identity (AGE-SECRET-KEY-1…, recipient age1…) decrypts; the Ed25519
signing key is derived from it (HKDF-SHA256, info "sentra/v1/signing-key"), so one backup restores both
and an existing age key can be imported.

Where the key is stored, never downgraded silently:
  (default)                 the OS credential store (Secret Service on Linux, Keychain, Credential Manager)
  --keystore file           an age file encrypted with your passphrase (scrypt), mode 0600, readable with
                            \`age -d\`; use \`sentra unlock\` to type the passphrase once per session
  --insecure-plaintext-key  an unencrypted file (every use prints a warning)
CI uses SENTRA_IDENTITY (the AGE-SECRET-KEY-1… string) or SENTRA_IDENTITY_FILE (an identity file) instead.

Passphrases are read from the terminal, or one per line from standard input when it is not a terminal.`

  static override examples = [
    { command: '<%= config.bin %> keygen', description: 'New key in the OS credential store.' },
    { command: '<%= config.bin %> keygen --keystore file', description: 'New key in a passphrase-protected file.' },
    { command: '<%= config.bin %> keygen --import ~/.config/age/key.txt', description: 'Use an existing age identity.' },
    { command: '<%= config.bin %> keygen --backup /media/usb/sentra-key.age', description: 'Write a passphrase-protected backup of your key.' },
  ]

  static override flags = {
    keystore: Flags.string({ description: 'Where to store the key.', options: ['keyring', 'file'], default: 'keyring' }),
    'insecure-plaintext-key': Flags.boolean({ description: 'Store the key UNENCRYPTED in a file (0600). Every use warns.', exclusive: ['keystore'] }),
    import: Flags.string({ description: 'Import this age identity file (plain, or a passphrase-protected sentra backup) instead of generating a key.' }),
    backup: Flags.string({ description: 'Write a passphrase-protected copy of the key (new or existing) to this file; restore with --import.' }),
    force: Flags.boolean({ description: 'Replace the identity this device already has (back it up first).' }),
    json: Flags.boolean({ description: 'Print the result as JSON.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Keygen)
    const ctx = new VaultContext()
    const store: StoreKind = flags['insecure-plaintext-key'] ? 'plaintext' : (flags.keystore as StoreKind)
    const existing = readKeystoreRecord(ctx.env)
    if (flags.backup && existing && !flags.force && !flags.import) {
      const identity = identityFromEnv(ctx.env)?.identity ?? (await openStoredIdentity({ env: ctx.env, passphrases: ctx.passphrases, warn: ctx.warn }))[0]
      await writeBackup(identity, flags.backup, ctx.passphrases)
      this.report(flags.json, { recipient: identity.recipient, signingKey: identity.signingPublicKey, backup: flags.backup }, [`Wrote a passphrase-protected backup of ${identity.recipient} to ${flags.backup}.`, `Restore it on a new device with: sentra keygen --import ${flags.backup}`])
      return
    }
    if (identityFromEnv(ctx.env) && !flags.import) {
      throw new UserError('SENTRA_IDENTITY or SENTRA_IDENTITY_FILE is set: that key is used instead of a stored one. Unset it to create a stored key')
    }
    const result = await createIdentity({ store, importFrom: flags.import, force: flags.force, env: ctx.env, passphrases: ctx.passphrases, warn: ctx.warn })
    if (flags.backup) await writeBackup(result.identity, flags.backup, ctx.passphrases)
    this.report(
      flags.json,
      { recipient: result.record.recipient, signingKey: result.record.signingKey, store, location: result.location, imported: result.imported, ...(flags.backup ? { backup: flags.backup } : {}) },
      [
        `${result.imported ? 'Imported' : 'Created'} your key, stored in ${result.location}.`,
        `  recipient:    ${result.record.recipient}`,
        `  signing key:  ${result.record.signingKey}`,
        flags.backup ? `Backup written to ${flags.backup} (passphrase-protected).` : 'Back it up: sentra keygen --backup FILE (passphrase-protected; restore with sentra keygen --import FILE).',
        'To join a team: sentra team request-access NAME (in the repository), then ask an admin to run sentra team add NAME.',
      ],
    )
  }

  private report(json: boolean, data: Record<string, unknown>, lines: string[]): void {
    process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${lines.join('\n')}\n`)
  }
}
