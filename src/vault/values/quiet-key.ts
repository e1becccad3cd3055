import { VaultError } from '../errors.js'
import { openKey, type KeyHandle } from '../keystore/index.js'

/**
 * This device's key for code git runs (merge and diff drivers): never prompts. The environment, a
 * running agent, the OS credential store or a plaintext key work; a passphrase-protected key file
 * needs `sentra unlock` first.
 */
export function openKeyQuietly(env: NodeJS.ProcessEnv, warn: (message: string) => void): Promise<KeyHandle> {
  return openKey({
    env,
    warn,
    passphrases: {
      read: async () => {
        throw new VaultError('your key is protected by a passphrase and no agent holds it: run `sentra unlock` first', 'locked')
      },
    },
  })
}
