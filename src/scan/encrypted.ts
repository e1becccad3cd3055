/**
 * Files encrypted by sentra or sops keep their key names and comments in clear, but their values
 * are ciphertext that looks exactly like high-entropy secrets. Such files are recognised by their
 * structure and their ciphertext is blanked (same length, newlines kept, so positions stay right)
 * before scanning: key names and comments are still scanned, ciphertext never is.
 */
const SOPS_VALUE = /ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]/g
const SENTRA_VALUE = /ENC\[sentra:v1,[A-Za-z0-9+/=_,:.-]*\]/g
// Armored age files inside metadata: YAML block scalars, or JSON strings with \n escapes.
const AGE_ARMOR = /-----BEGIN AGE ENCRYPTED FILE-----(?:\\[nr]|[A-Za-z0-9+/=\s]){0,65536}?-----END AGE ENCRYPTED FILE-----/g
const SOPS_MARKERS = [/^sops:\s*$/m, /"sops"\s*:\s*\{/, /^sops_version=/m, /^sops_mac=/m]
const SENTRA_MARKERS = [/"?_?sentra"?\s*[:=]/, /^#\s*sentra:v1/m, /^sentra_/m]

function blank(match: string): string {
  return match.replace(/[^\n\r]/g, ' ')
}

export type EncryptedKind = 'sops' | 'sentra' | 'age'

export function detectEncrypted(text: string): EncryptedKind | undefined {
  if (text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----') || text.startsWith('age-encryption.org/v1\n')) return 'age'
  // One pass over an ordinary file, not one per format.
  if (!text.includes('ENC[')) return undefined
  if (text.includes('ENC[AES256_GCM,') && SOPS_MARKERS.some((marker) => marker.test(text))) return 'sops'
  if (text.includes('ENC[sentra:v1,') && SENTRA_MARKERS.some((marker) => marker.test(text))) return 'sentra'
  return undefined
}

/** False only when `detectEncrypted` is sure to find nothing in the UTF-8 decoding of these bytes. */
export function mayBeEncrypted(bytes: Buffer): boolean {
  const head = bytes.toString('latin1', 0, 34)
  return head.startsWith('-----BEGIN AGE ') || head.startsWith('age-encryption.org/v1') || bytes.indexOf('ENC[') !== -1
}

/** Returns the text with ciphertext blanked, or the text unchanged when it is not an encrypted file. */
export function maskEncrypted(text: string, kind: EncryptedKind): string {
  switch (kind) {
    case 'age':
      return blank(text)
    case 'sops':
      return text.replace(SOPS_VALUE, blank).replace(AGE_ARMOR, blank)
    case 'sentra':
      return text.replace(SENTRA_VALUE, blank).replace(AGE_ARMOR, blank)
  }
}
