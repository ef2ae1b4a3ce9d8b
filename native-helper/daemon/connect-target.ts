/**
 * Turns a `connect` request into a ConnectTarget: the profile validated with the profile schema,
 * keychain references replaced by the secrets that came with the request (memory only), the
 * certificate/key/CA contents the client read and sent (the helper runs as root and never opens
 * a path a client wrote into a profile), and the gateway resolved to the address the firewall
 * will allow (the tunnel then uses exactly that address).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ErrorCode } from '../ipc/protocol.js';
import { parseProfile, ProfileError, type Profile, type SecretValue } from '../profile/profile.js';
import { missingFiles, profileFileRefs } from '../profile/profile-files.js';
import type { ConnectTarget } from '../tunnel/states/types.js';

export class ConnectRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Resolver = (host: string) => Promise<string>;

export const dnsResolver: Resolver = async (host) => {
  if (isIP(host)) return host;
  const r = await lookup(host, { verbatim: true });
  return r.address;
};

export async function buildConnectTarget(
  profileInput: Record<string, unknown>,
  secrets: Record<string, string> | undefined,
  baseDir: string | undefined,
  resolve: Resolver,
  files?: Readonly<Record<string, string>>,
): Promise<ConnectTarget> {
  let profile: Profile;
  try {
    profile = parseProfile(profileInput);
  } catch (e) {
    if (e instanceof ProfileError)
      throw new ConnectRefused(
        'invalid-profile',
        e.issues.map((i) => `${i.field || 'profile'}: ${i.message}`).join('; '),
      );
    throw e;
  }
  const missing = missingFiles(profile, files);
  if (missing.length)
    throw new ConnectRefused(
      'invalid-profile',
      missing
        .map(
          (m) =>
            `${m.field}: the contents of "${m.path}" were not sent with connect (the helper never opens files named in a profile: the client reads them and sends them in "files"; 'tsunagi up' and the app do this)`,
        )
        .join('; '),
    );
  const values: string[] = [];
  const fill = (s: SecretValue, field: string): string => {
    if (typeof s === 'string') {
      values.push(s);
      return s;
    }
    const value = secrets?.[s.keychain];
    if (value === undefined)
      throw new ConnectRefused(
        'invalid-profile',
        `${field}: the secret for keychain account "${s.keychain}" was not sent with connect`,
      );
    values.push(value);
    return value;
  };
  const auth = profile.auth;
  const filled: Profile =
    auth.method === 'psk'
      ? { ...profile, auth: { ...auth, secret: fill(auth.secret, 'auth.secret') } }
      : auth.method === 'eap-mschapv2'
        ? { ...profile, auth: { ...auth, password: fill(auth.password, 'auth.password') } }
        : {
            ...profile,
            auth: {
              ...auth,
              ...(auth.passphrase !== undefined
                ? { passphrase: fill(auth.passphrase, 'auth.passphrase') }
                : {}),
            },
          };
  let address: string;
  try {
    address = await resolve(profile.server);
  } catch (e) {
    throw new ConnectRefused(
      'unresolvable-server',
      `cannot resolve ${profile.server}: ${(e as Error).message}`,
    );
  }
  // Only what the profile needs travels on; anything else the client sent is dropped.
  const needed: Record<string, string> = {};
  for (const ref of profileFileRefs(profile)) {
    needed[ref.path] = files![ref.path]!;
    // the private key is a secret too: redacted wherever it might show up in a log line
    if (ref.field === 'auth.privateKey') values.push(needed[ref.path]!);
  }
  return {
    profile: filled,
    baseDir: baseDir ?? '/',
    files: needed,
    gateway: { address },
    secrets: values,
  };
}
