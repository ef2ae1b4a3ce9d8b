// Before connecting, the app swaps each `{ "keychain": "<account>" }` reference of a profile for
// the secret it names. Pure over the SecretStore: nothing is written, the result goes to the
// helper at connect time and nowhere else.

import type { Profile, SecretValue } from '../../../native-helper/profile/profile.js';
import { SecretStoreError, type SecretStore } from './secret-store.js';

async function resolveSecret(
  value: SecretValue,
  field: string,
  store: SecretStore,
): Promise<string> {
  if (typeof value === 'string') return value;
  const secret = await store.get(value.keychain);
  if (secret === undefined) {
    throw new SecretStoreError(
      'missing-secret',
      `${field} refers to the keychain entry "${value.keychain}", which holds nothing: enter the secret again in the profile editor`,
    );
  }
  return secret;
}

/** The profile with every keychain reference replaced by its secret (a copy). */
export async function resolveProfileSecrets(
  profile: Profile,
  store: SecretStore,
): Promise<Profile> {
  const auth = profile.auth;
  switch (auth.method) {
    case 'psk':
      return {
        ...profile,
        auth: { ...auth, secret: await resolveSecret(auth.secret, 'auth.secret', store) },
      };
    case 'eap-mschapv2':
      return {
        ...profile,
        auth: { ...auth, password: await resolveSecret(auth.password, 'auth.password', store) },
      };
    case 'cert':
      return {
        ...profile,
        auth:
          auth.passphrase === undefined
            ? auth
            : {
                ...auth,
                passphrase: await resolveSecret(auth.passphrase, 'auth.passphrase', store),
              },
      };
  }
}

/**
 * The helper's connect request (native-helper/ipc/protocol.ts) takes the profile with its
 * references as they are plus `secrets: { account: secret }`: this collects that map.
 */
export async function collectProfileSecrets(
  profile: Profile,
  store: SecretStore,
): Promise<Record<string, string>> {
  const resolved = await resolveProfileSecrets(profile, store);
  const secrets: Record<string, string> = {};
  const pairs: [SecretValue | undefined, SecretValue | undefined][] =
    profile.auth.method === 'psk' && resolved.auth.method === 'psk'
      ? [[profile.auth.secret, resolved.auth.secret]]
      : profile.auth.method === 'eap-mschapv2' && resolved.auth.method === 'eap-mschapv2'
        ? [[profile.auth.password, resolved.auth.password]]
        : profile.auth.method === 'cert' && resolved.auth.method === 'cert'
          ? [[profile.auth.passphrase, resolved.auth.passphrase]]
          : [];
  for (const [ref, value] of pairs) {
    if (ref && typeof ref === 'object' && typeof value === 'string') secrets[ref.keychain] = value;
  }
  return secrets;
}
