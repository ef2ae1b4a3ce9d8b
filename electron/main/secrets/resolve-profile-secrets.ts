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
