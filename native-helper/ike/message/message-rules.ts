/**
 * Which payloads each exchange may carry (RFC 7296 §1.2–§1.5; RFC 9242; RFC 9370), how often,
 * and whether the exchange is encrypted. Checked by decodeMessage after decryption.
 *
 * - Notify (N) and Vendor ID (V) may appear in any exchange, any number of times.
 * - Unknown payloads without the critical bit are allowed anywhere (they are skipped).
 * - Minima are only those every valid message has: error responses carry nothing but notifies,
 *   so response minima are 0 and the tasks check what they need. An INFORMATIONAL may be empty.
 * - In an encrypted exchange every payload is inside SK (or SKF); nothing may sit beside it.
 */
import { IkeSyntaxError } from './codec.js';
import { ExchangeType, exchangeTypeName } from './exchange-type.js';
import { payloadTypeName, PayloadType } from './payload-type.js';
import type { Payload } from './payload.js';

export interface PayloadRule {
  type: Exclude<Payload['type'], 'unknown'>;
  min: number;
  max: number;
}

export interface ExchangeRules {
  exchange: ExchangeType;
  response: boolean;
  /** Whether the payloads must be inside SK/SKF (true) or must not be (false). */
  encrypted: boolean;
  rules: readonly PayloadRule[];
}

const ANY = Number.MAX_SAFE_INTEGER;
const {
  SA,
  KE,
  IDI,
  IDR,
  CERT,
  CERTREQ,
  AUTH,
  NONCE,
  NOTIFY,
  DELETE,
  VENDOR_ID,
  TSI,
  TSR,
  CP,
  EAP,
} = PayloadType;

const rule = (type: PayloadRule['type'], min: number, max: number): PayloadRule => ({
  type,
  min,
  max,
});
const ALWAYS = [rule(NOTIFY, 0, ANY), rule(VENDOR_ID, 0, ANY)];

export const MESSAGE_RULES: readonly ExchangeRules[] = [
  // HDR, SAi1, KEi, Ni, [N+], [V+]  (a retry after COOKIE/INVALID_KE has the same shape)
  {
    exchange: ExchangeType.IKE_SA_INIT,
    response: false,
    encrypted: false,
    rules: [rule(SA, 1, 1), rule(KE, 1, 1), rule(NONCE, 1, 1), ...ALWAYS],
  },
  // HDR, SAr1, KEr, Nr, [CERTREQ+], [N+], [V+]  — or only N(COOKIE/INVALID_KE_PAYLOAD/error)
  {
    exchange: ExchangeType.IKE_SA_INIT,
    response: true,
    encrypted: false,
    rules: [rule(SA, 0, 1), rule(KE, 0, 1), rule(NONCE, 0, 1), rule(CERTREQ, 0, ANY), ...ALWAYS],
  },
  // SK{IDi, [CERT+], [N(INITIAL_CONTACT)], [CERTREQ+], [IDr], AUTH, [CP], SAi2, TSi, TSr, [N+]}
  // or SK{EAP} / SK{AUTH} in the later rounds of EAP authentication (RFC 7296 §2.16)
  {
    exchange: ExchangeType.IKE_AUTH,
    response: false,
    encrypted: true,
    rules: [
      rule(IDI, 0, 1),
      rule(CERT, 0, ANY),
      rule(CERTREQ, 0, ANY),
      rule(IDR, 0, 1),
      rule(AUTH, 0, 1),
      rule(EAP, 0, 1),
      rule(CP, 0, 1),
      rule(SA, 0, 1),
      rule(TSI, 0, 1),
      rule(TSR, 0, 1),
      ...ALWAYS,
    ],
  },
  // SK{IDr, [CERT+], AUTH, [CP], SAr2, TSi, TSr, [N+]}, SK{IDr, [CERT+], AUTH, EAP}, SK{EAP}, or errors
  {
    exchange: ExchangeType.IKE_AUTH,
    response: true,
    encrypted: true,
    rules: [
      rule(IDR, 0, 1),
      rule(CERT, 0, ANY),
      rule(AUTH, 0, 1),
      rule(EAP, 0, 1),
      rule(CP, 0, 1),
      rule(SA, 0, 1),
      rule(TSI, 0, 1),
      rule(TSR, 0, 1),
      ...ALWAYS,
    ],
  },
  // SK{[N(REKEY_SA)], [N+], SA, Ni, [KEi], [TSi, TSr]}
  {
    exchange: ExchangeType.CREATE_CHILD_SA,
    response: false,
    encrypted: true,
    rules: [
      rule(SA, 1, 1),
      rule(NONCE, 1, 1),
      rule(KE, 0, 1),
      rule(TSI, 0, 1),
      rule(TSR, 0, 1),
      ...ALWAYS,
    ],
  },
  // SK{[N+], SA, Nr, [KEr], [TSi, TSr]} or SK{N(error)}
  {
    exchange: ExchangeType.CREATE_CHILD_SA,
    response: true,
    encrypted: true,
    rules: [
      rule(SA, 0, 1),
      rule(NONCE, 0, 1),
      rule(KE, 0, 1),
      rule(TSI, 0, 1),
      rule(TSR, 0, 1),
      ...ALWAYS,
    ],
  },
  // SK{[N+], [D+], [CP]} — possibly empty (liveness check)
  {
    exchange: ExchangeType.INFORMATIONAL,
    response: false,
    encrypted: true,
    rules: [rule(DELETE, 0, ANY), rule(CP, 0, 1), ...ALWAYS],
  },
  {
    exchange: ExchangeType.INFORMATIONAL,
    response: true,
    encrypted: true,
    rules: [rule(DELETE, 0, ANY), rule(CP, 0, 1), ...ALWAYS],
  },
  // RFC 9242 / RFC 9370: SK{KEi(n)} and SK{KEr(n)} (or only notifies)
  ...([false, true] as const).flatMap((response) => [
    {
      exchange: ExchangeType.IKE_INTERMEDIATE,
      response,
      encrypted: true,
      rules: [rule(KE, 0, 1), ...ALWAYS],
    },
    {
      exchange: ExchangeType.IKE_FOLLOWUP_KE,
      response,
      encrypted: true,
      rules: [rule(KE, 0, 1), ...ALWAYS],
    },
  ]),
];

export function rulesFor(exchangeType: number, response: boolean): ExchangeRules | undefined {
  return MESSAGE_RULES.find((r) => r.exchange === exchangeType && r.response === response);
}

/** Whether messages of this exchange travel inside SK; undefined for exchanges we do not speak. */
export function isEncryptedExchange(exchangeType: number): boolean | undefined {
  return MESSAGE_RULES.find((r) => r.exchange === exchangeType)?.encrypted;
}

function violation(message: string, payloadType?: number): IkeSyntaxError {
  return new IkeSyntaxError(
    'rule-violation',
    message,
    payloadType === undefined ? {} : { payloadType },
  );
}

/**
 * Checks the payloads of a decoded message against the table: exchange known, encrypted as the
 * exchange requires, each known payload allowed and within its occurrence bounds.
 */
export function checkMessageRules(
  exchangeType: number,
  response: boolean,
  encrypted: boolean,
  payloads: readonly Payload[],
): void {
  const rules = rulesFor(exchangeType, response);
  const name = `${exchangeTypeName(exchangeType)} ${response ? 'response' : 'request'}`;
  if (!rules) throw violation(`unsupported exchange: ${name}`);
  if (rules.encrypted !== encrypted) {
    throw violation(`${name} must ${rules.encrypted ? '' : 'not '}be encrypted`, PayloadType.SK);
  }
  const counts = new Map<number, number>();
  for (const p of payloads) {
    if (p.type === 'unknown') continue;
    counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
  }
  for (const [type, count] of counts) {
    const r = rules.rules.find((x) => x.type === type);
    if (!r) throw violation(`${payloadTypeName(type)} not allowed in ${name}`, type);
    if (count > r.max)
      throw violation(`${count} × ${payloadTypeName(type)} in ${name} (max ${r.max})`, type);
  }
  for (const r of rules.rules) {
    if ((counts.get(r.type) ?? 0) < r.min) {
      throw violation(`${payloadTypeName(r.type)} missing in ${name}`, r.type);
    }
  }
}
