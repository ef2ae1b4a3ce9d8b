/**
 * The versioned connection profile (JSON). The file format is the contract between users, the
 * app (which stores profiles with keychain references instead of secrets) and the helper.
 *
 *   { "version": 1, "name": "Office", "server": "vpn.example.com",
 *     "remoteId": "vpn.example.com", "localId": "alice@example.com",
 *     "auth": { "method": "psk", "secret": "…" },
 *     "ca": ["office-ca.pem"],
 *     "ike": "aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048",
 *     "esp": "aes256gcm16,chacha20poly1305",
 *     "routes": "all", "dns": true, "mobike": true, "dpdDelay": 30, "fragmentation": true }
 *
 * `auth` may also be { "method": "cert", "certificate": "alice.pem", "privateKey": "alice.key" }
 * or { "method": "eap-mschapv2", "username": "…", "password": "…" }; any secret may instead be
 * { "keychain": "<account>" }, resolved by the app before connecting. `routes` is "all" or a
 * list of CIDRs. Paths are relative to the profile file.
 *
 * Validation errors name the field and what is wrong: `ProfileError.issues`.
 */
import * as v from 'valibot';

export const PROFILE_VERSION = 1;

const nonEmpty = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.trim(), v.nonEmpty(`${what} must not be empty`));

const KeychainRef = v.strictObject(
  { keychain: nonEmpty('the keychain account') },
  'a keychain reference is { "keychain": "<account>" } and nothing else',
);
const Secret = v.union(
  [nonEmpty('the secret'), KeychainRef],
  'must be a string or { "keychain": "<account>" }',
);

const PskAuth = v.strictObject({
  method: v.literal('psk'),
  secret: Secret,
});
const CertAuth = v.strictObject({
  method: v.literal('cert'),
  certificate: nonEmpty('the certificate path'),
  privateKey: nonEmpty('the private key path'),
  passphrase: v.optional(Secret),
});
const EapAuth = v.strictObject({
  method: v.literal('eap-mschapv2'),
  username: nonEmpty('the username'),
  password: Secret,
});
const Auth = v.variant('method', [PskAuth, CertAuth, EapAuth], (issue) =>
  issue.received === 'undefined' || !issue.input
    ? 'is required: { "method": "psk" | "cert" | "eap-mschapv2", … }'
    : `method must be "psk", "cert" or "eap-mschapv2" (got ${issue.received})`,
);

const CIDR4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const CIDR6 = /^[0-9a-fA-F:.]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
const Cidr = v.pipe(
  v.string(),
  v.check(
    (s) => CIDR4.test(s) || (s.includes(':') && CIDR6.test(s)),
    (issue) => `"${String(issue.input)}" is not a CIDR like 10.0.0.0/8 or fd00::/8`,
  ),
);
const Routes = v.union(
  [v.literal('all'), v.pipe(v.array(Cidr), v.minLength(1, 'must list at least one CIDR'))],
  'must be "all" or a list of CIDRs like ["10.0.0.0/8"]',
);

const ProfileSchema = v.strictObject(
  {
    version: v.literal(
      PROFILE_VERSION,
      `must be ${PROFILE_VERSION} (the only version this Tsunagi reads)`,
    ),
    name: nonEmpty('the name'),
    server: v.pipe(
      nonEmpty('the server'),
      v.check(
        (s) => !/\s/.test(s) && !s.includes('/'),
        'must be a host name or an IP address, without a scheme or path',
      ),
    ),
    port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)), 500),
    remoteId: v.optional(nonEmpty('the remote identity')),
    /**
     * Whether IKE_AUTH asks the gateway for `remoteId` (the optional IDr payload, RFC 7296 §2.15
     * and §3.5). The gateway's answer must name `remoteId` either way. `false` lets a gateway
     * that rejects an IDr it does not own (strongSwan answers AUTHENTICATION_FAILED) answer with
     * its own identity instead, so a wrong `remoteId` is diagnosed as exactly that.
     */
    sendRemoteId: v.optional(v.boolean('must be true or false'), true),
    localId: v.optional(nonEmpty('the local identity')),
    auth: Auth,
    ca: v.optional(v.array(nonEmpty('a CA path')), []),
    ike: v.optional(nonEmpty('the IKE proposal list')),
    esp: v.optional(nonEmpty('the ESP proposal list')),
    routes: v.optional(Routes, 'all'),
    dns: v.optional(v.boolean('must be true or false'), true),
    mobike: v.optional(v.boolean('must be true or false'), true),
    dpdDelay: v.optional(
      v.pipe(
        v.number('must be a number of seconds'),
        v.integer('must be whole seconds'),
        v.minValue(0),
        v.maxValue(3600),
      ),
      30,
    ),
    fragmentation: v.optional(v.boolean('must be true or false'), true),
    /** strongSwan's retransmit_timeout (s), retransmit_base and retransmit_tries. */
    retransmit: v.optional(
      v.strictObject({
        timeout: v.pipe(
          v.number('must be seconds'),
          v.minValue(0.1, 'must be at least 0.1 s'),
          v.maxValue(60),
        ),
        base: v.pipe(v.number(), v.minValue(1, 'must be at least 1'), v.maxValue(4)),
        tries: v.pipe(
          v.number(),
          v.integer('must be a whole number'),
          v.minValue(0),
          v.maxValue(10),
        ),
      }),
      { timeout: 4, base: 1.8, tries: 5 },
    ),
    keyingTries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
    /**
     * The TUN MTU, instead of the one computed from the path MTU minus the ESP overhead (at most
     * 1400). 576 is every IPv4 host's minimum datagram size; 9000 a jumbo frame.
     */
    mtu: v.optional(
      v.pipe(
        v.number('must be a number of bytes'),
        v.integer('must be whole bytes'),
        v.minValue(576, 'must be at least 576 (the IPv4 minimum)'),
        v.maxValue(9000, 'must be at most 9000 (a jumbo frame)'),
      ),
    ),
    /**
     * Inbound ESP anti-replay window in packets. RFC 4303 §3.4.3: at least 32 must be supported
     * (64 recommended); a larger window tolerates more reordering on the path for a bitmap of
     * window/8 bytes per SA. 4096 is far beyond any reordering a path shows.
     */
    replayWindow: v.optional(
      v.pipe(
        v.number('must be a number of packets'),
        v.integer('must be a whole number of packets'),
        v.minValue(32, 'must be at least 32 (RFC 4303 §3.4.3)'),
        v.maxValue(4096, 'must be at most 4096'),
      ),
      128,
    ),
    /**
     * Hard lifetimes in seconds (strongSwan's life_time): an SA whose rekey has not completed by
     * then is deleted. Without a rekey time we rekey at 80–90 % of them (the gateway may rekey
     * earlier on its own).
     */
    ikeLifetime: v.optional(
      v.pipe(
        v.number(),
        v.integer('must be whole seconds'),
        v.minValue(10, 'must be at least 10 s'),
      ),
      14_400,
    ),
    childLifetime: v.optional(
      v.pipe(
        v.number(),
        v.integer('must be whole seconds'),
        v.minValue(10, 'must be at least 10 s'),
      ),
      3_600,
    ),
    /**
     * Soft lifetimes in seconds (strongSwan's rekey_time): when we start the rekey, minus a
     * random 0…`rekeyJitter` s (strongSwan's rand_time; default 10 % of the rekey time) so that
     * many clients do not rekey at once. Each must be below its lifetime.
     */
    ikeRekeyTime: v.optional(
      v.pipe(
        v.number('must be a number of seconds'),
        v.integer('must be whole seconds'),
        v.minValue(10, 'must be at least 10 s'),
      ),
    ),
    childRekeyTime: v.optional(
      v.pipe(
        v.number('must be a number of seconds'),
        v.integer('must be whole seconds'),
        v.minValue(10, 'must be at least 10 s'),
      ),
    ),
    rekeyJitter: v.optional(
      v.pipe(
        v.number('must be a number of seconds'),
        v.integer('must be whole seconds'),
        v.minValue(0, 'must be 0 or more seconds'),
      ),
    ),
  },
  (issue) => `unknown field "${String((issue as { key?: unknown }).key ?? issue.input)}"`,
);

export type Profile = v.InferOutput<typeof ProfileSchema>;
export type ProfileAuth = Profile['auth'];
export type SecretValue = string | { keychain: string };

export interface ProfileIssue {
  /** Dotted path of the field, e.g. "auth.secret" or "routes[1]"; "" for the whole profile. */
  field: string;
  message: string;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(
    readonly issues: ProfileIssue[],
    source = 'the profile',
  ) {
    super(
      `${source} is invalid:\n${issues.map((i) => `  - ${i.field || '(profile)'}: ${i.message}`).join('\n')}`,
    );
  }
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = (item as { key?: unknown }).key;
    if (typeof key === 'number') out += `[${key}]`;
    else if (key !== undefined) out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** The rekey time (seconds) used when the profile gives only a lifetime: 90 % of it. */
export function defaultRekeyTime(lifetime: number): number {
  return lifetime * 0.9;
}

/** The jitter (seconds) used when the profile sets none: 10 % of the rekey time (the lifetime's without one). */
export function defaultRekeyJitter(rekeyTime: number | undefined, lifetime: number): number {
  return (rekeyTime ?? lifetime) * 0.1;
}

const TIMER_FIELDS = [
  'ikeLifetime',
  'childLifetime',
  'ikeRekeyTime',
  'childRekeyTime',
  'rekeyJitter',
] as const;
/** The timer fields alone (other fields ignored), so their rules are checked even when the rest of the profile is not valid yet. */
const TimersSchema = v.object(v.pick(ProfileSchema, TIMER_FIELDS).entries);
type Timers = v.InferOutput<typeof TimersSchema>;

/** Rules between fields: each rekey time below its lifetime, the jitter below each rekey time. */
function lifetimeIssues(p: Timers): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  for (const sa of ['ike', 'child'] as const) {
    const rekeyField = `${sa}RekeyTime` as const;
    const lifeField = `${sa}Lifetime` as const;
    const rekey = p[rekeyField];
    const life = p[lifeField];
    if (rekey !== undefined && rekey >= life)
      issues.push({
        field: rekeyField,
        message: `${rekey} s must be below "${lifeField}" (${life} s, the hard limit): lower "${rekeyField}" or raise "${lifeField}"`,
      });
    if (p.rekeyJitter !== undefined) {
      const effective = rekey ?? defaultRekeyTime(life);
      if (p.rekeyJitter >= effective)
        issues.push({
          field: 'rekeyJitter',
          message: `${p.rekeyJitter} s must be below the ${sa === 'ike' ? 'IKE' : 'Child'} SA rekey time (${effective} s${rekey === undefined ? `, 90 % of "${lifeField}"` : ''}): lower "rekeyJitter"${rekey === undefined ? ` or set "${rekeyField}"` : ` or raise "${rekeyField}"`}`,
        });
    }
  }
  return issues;
}

/** Validates an already-parsed JSON value. Throws ProfileError naming every bad field. */
export function parseProfile(input: unknown, source?: string): Profile {
  const result = v.safeParse(ProfileSchema, input, { abortPipeEarly: true });
  if (result.success) {
    const issues = lifetimeIssues(result.output);
    if (issues.length) throw new ProfileError(issues, source);
    return result.output;
  }
  const issues = result.issues.map((i) => ({ field: issuePath(i), message: i.message }));
  // an editor shows every message at once: the rules between timers too, when the timers parse
  const timers = v.safeParse(TimersSchema, input);
  if (timers.success) issues.push(...lifetimeIssues(timers.output));
  // the variant's own message covers a bad auth method; drop duplicates of the same field
  const seen = new Set<string>();
  throw new ProfileError(
    issues.filter((i) => {
      const k = `${i.field}\u0000${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }),
    source,
  );
}

/** Parses profile JSON text; a syntax error is reported as a ProfileError too. */
export function parseProfileJson(text: string, source?: string): Profile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(
      [{ field: '', message: `not valid JSON (${(e as Error).message})` }],
      source,
    );
  }
  return parseProfile(value, source);
}

/** The profile's secrets that are keychain references (the app resolves these before connect). */
export function keychainReferences(p: Profile): string[] {
  const refs: string[] = [];
  const add = (s: SecretValue | undefined) => {
    if (s && typeof s === 'object') refs.push(s.keychain);
  };
  if (p.auth.method === 'psk') add(p.auth.secret);
  if (p.auth.method === 'eap-mschapv2') add(p.auth.password);
  if (p.auth.method === 'cert') add(p.auth.passphrase);
  return refs;
}

/** A copy safe to export or log: every secret replaced by a marker. */
export function redactProfile(p: Profile): Profile {
  const hide = (s: SecretValue): SecretValue => (typeof s === 'string' ? '<redacted>' : s);
  const auth: ProfileAuth =
    p.auth.method === 'psk'
      ? { ...p.auth, secret: hide(p.auth.secret) }
      : p.auth.method === 'eap-mschapv2'
        ? { ...p.auth, password: hide(p.auth.password) }
        : {
            ...p.auth,
            ...(p.auth.passphrase !== undefined ? { passphrase: hide(p.auth.passphrase) } : {}),
          };
  return { ...p, auth };
}
