import { canonicalJson, utf8 } from './encoding.js'
import type { DeviceKey } from './manifest/entry.js'
import type { Signer } from './requests.js'
import { SIGNATURE_LABELS, signatureToText, verifySignature } from './signing.js'

/*
 * The rekey endorsement: the old device's signature (label sentra/v1/rekey) that it hands its place
 * in the team to a new key. Apart from src/vault/rekey.ts because the manifest replay checks it, and
 * the replay is part of the guard's bundle, which must not reach key stores or the access engine.
 */

/** The bytes the old key signs: canonical JSON of `{team, name, old, new}` (team = root hash). */
export function rekeyEndorsementBody(team: string, name: string, old: DeviceKey, replacement: DeviceKey): Uint8Array {
  return utf8(
    canonicalJson({
      team,
      name,
      old: { recipient: old.recipient, signingKey: old.signingKey },
      new: { recipient: replacement.recipient, signingKey: replacement.signingKey },
    }),
  )
}

/** The old device's signature that it hands its place in `team` to `replacement`. */
export async function createRekeyEndorsement(oldSigner: Signer, team: string, name: string, replacement: DeviceKey): Promise<string> {
  const old = { recipient: oldSigner.recipient, signingKey: oldSigner.signingKey }
  return signatureToText(await oldSigner.sign(SIGNATURE_LABELS.rekey, rekeyEndorsementBody(team, name, old, replacement)))
}

/** True when `endorsement` is the old device's rekey signature over exactly this change. */
export function verifyRekeyEndorsement(endorsement: string, team: string, name: string, old: DeviceKey, replacement: DeviceKey): boolean {
  return verifySignature(old.signingKey, SIGNATURE_LABELS.rekey, rekeyEndorsementBody(team, name, old, replacement), endorsement)
}
