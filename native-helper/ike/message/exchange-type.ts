/** IKEv2 exchange types (RFC 7296 §3.1; RFC 9242; RFC 9370). Values 0–33 are IKEv1's. */
export const ExchangeType = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
  IKE_SESSION_RESUME: 38,
  IKE_INTERMEDIATE: 43,
  IKE_FOLLOWUP_KE: 44,
} as const;
export type ExchangeType = (typeof ExchangeType)[keyof typeof ExchangeType];

const NAMES = new Map<number, string>(Object.entries(ExchangeType).map(([k, v]) => [v, k]));

export function exchangeTypeName(t: number): string {
  return NAMES.get(t) ?? `exchange type ${t}`;
}

/** IKE header flags (RFC 7296 §3.1). The other bits are reserved: sent as 0, ignored. */
export const HeaderFlag = {
  INITIATOR: 0x08,
  VERSION: 0x10,
  RESPONSE: 0x20,
} as const;
export type HeaderFlag = (typeof HeaderFlag)[keyof typeof HeaderFlag];
