/**
 * AUTH payload data for shared-key authentication (RFC 7296 §2.15):
 *
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 *   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *
 * RestOfIDPayload is the ID payload body after the generic header: ID Type ‖ RESERVED(3) ‖ data.
 */
import { concat, constantTimeEqual, zeroise } from './hash.js';
import { prf } from './prf.js';

export { constantTimeEqual } from './hash.js';

/** The 17 ASCII octets "Key Pad for IKEv2", without a terminator. */
export const IKEV2_KEY_PAD: Uint8Array = new TextEncoder().encode('Key Pad for IKEv2');

/** MACedIDForI/R = prf(SK_p, IDType ‖ RESERVED ‖ ID data). */
export function macedId(prfAlg: number, skP: Uint8Array, idPayloadBody: Uint8Array): Uint8Array {
  return prf(prfAlg, skP, idPayloadBody);
}

/**
 * The octets the AUTH payload covers: our own IKE_SA_INIT message exactly as sent (`realMessage`),
 * the peer's nonce data, and prf(SK_p, our ID payload body).
 */
export function signedOctets(
  realMessage: Uint8Array,
  peerNonce: Uint8Array,
  prfAlg: number,
  skP: Uint8Array,
  idPayloadBody: Uint8Array,
): Uint8Array {
  const mac = macedId(prfAlg, skP, idPayloadBody);
  const out = concat(realMessage, peerNonce, mac);
  zeroise(mac);
  return out;
}

/** AUTH data for method 2 (Shared Key Message Integrity Code). `psk` is the raw secret bytes (or UTF-8 text). */
export function pskAuth(prfAlg: number, psk: Uint8Array | string, octets: Uint8Array): Uint8Array {
  const secret = typeof psk === 'string' ? new TextEncoder().encode(psk) : psk;
  const padded = prf(prfAlg, secret, IKEV2_KEY_PAD);
  try {
    return prf(prfAlg, padded, octets);
  } finally {
    zeroise(padded);
    if (typeof psk === 'string') zeroise(secret);
  }
}

/** Checks a received AUTH payload (method 2) in constant time. */
export function verifyPskAuth(
  prfAlg: number,
  psk: Uint8Array | string,
  octets: Uint8Array,
  received: Uint8Array,
): boolean {
  const expected = pskAuth(prfAlg, psk, octets);
  const ok = constantTimeEqual(expected, received);
  zeroise(expected);
  return ok;
}
