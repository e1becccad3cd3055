import { VaultError } from '../errors.js'
import { AgeIdentity } from '../identity.js'

/**
 * The OS credential store through @napi-rs/keyring, pinned to the Secret Service on Linux: unpinned,
 * the library silently falls back to the kernel keyring (which does not survive a reboot and is not
 * what the user chose). Absence of a store is an error that names the explicit alternatives.
 */
const SERVICE = 'sentra'
const ACCOUNT = 'identity'

export const NO_KEYRING_HELP =
  'choose explicitly: `sentra keygen --keystore file` (identity in a passphrase-protected age file), ' +
  'SENTRA_IDENTITY / SENTRA_IDENTITY_FILE (CI), or --insecure-plaintext-key (unencrypted file)'

type EntryLike = { setPassword(password: string): void; getPassword(): string | null; deleteCredential(): boolean }

async function entry(): Promise<EntryLike> {
  let Entry: new (service: string, account: string, options?: unknown) => EntryLike
  try {
    ;({ Entry } = (await import('@napi-rs/keyring')) as unknown as { Entry: typeof Entry })
  } catch {
    throw new VaultError(`the OS credential store library could not be loaded on this platform; ${NO_KEYRING_HELP}`, 'keyring-unavailable')
  }
  try {
    return new Entry(SERVICE, ACCOUNT, { linux: { store: 'secret-service' } })
  } catch (error) {
    throw unavailable(error)
  }
}

function unavailable(error: unknown): VaultError {
  // The library's message names the D-Bus problem (no session bus, no Secret Service); it never holds key material.
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200)
  return new VaultError(`no OS credential store is available (${reason}); ${NO_KEYRING_HELP}`, 'keyring-unavailable')
}

export async function saveToKeyring(identity: AgeIdentity): Promise<void> {
  const store = await entry()
  try {
    store.setPassword(identity.revealSecret())
  } catch (error) {
    throw unavailable(error)
  }
}

export async function loadFromKeyring(): Promise<AgeIdentity> {
  const store = await entry()
  let secret: string | null
  try {
    secret = store.getPassword()
  } catch (error) {
    throw unavailable(error)
  }
  if (secret === null) throw new VaultError('the OS credential store holds no sentra identity: run `sentra keygen` (or `sentra keygen --import FILE`)', 'no-identity')
  return AgeIdentity.parse(secret)
}

export async function keyringHasIdentity(): Promise<boolean> {
  const store = await entry()
  try {
    return store.getPassword() !== null
  } catch (error) {
    throw unavailable(error)
  }
}

/** Removes sentra's identity from the credential store (when the user moves it to another store). */
export async function deleteFromKeyring(): Promise<void> {
  const store = await entry()
  try {
    store.deleteCredential()
  } catch (error) {
    throw unavailable(error)
  }
}
