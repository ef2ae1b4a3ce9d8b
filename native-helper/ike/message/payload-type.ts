/**
 * IKEv2 payload types (IANA "IKEv2 Payload Types"; RFC 7296 §3.2, RFC 7383 §2.5).
 * Anything else, including the IKEv1 types 1–13, is unknown to IKEv2.
 */
export const PayloadType = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDI: 35,
  IDR: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  NOTIFY: 41,
  DELETE: 42,
  VENDOR_ID: 43,
  TSI: 44,
  TSR: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  SKF: 53,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

const NAMES = new Map<number, string>(Object.entries(PayloadType).map(([k, v]) => [v, k]));

export function payloadTypeName(t: number): string {
  return NAMES.get(t) ?? `payload type ${t}`;
}

/** Protocol IDs (RFC 7296 §3.3.1), shared by SA proposals, Notify and Delete. */
export const ProtocolId = {
  NONE: 0,
  IKE: 1,
  AH: 2,
  ESP: 3,
} as const;
export type ProtocolId = (typeof ProtocolId)[keyof typeof ProtocolId];
