import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../../native-helper/profile/profile.js';
import {
  classifyKeychainError,
  KeytarSecretStore,
  type KeytarLike,
} from '../../../../../electron/main/secrets/keytar-secret-store.js';
import {
  collectProfileSecrets,
  resolveProfileSecrets,
} from '../../../../../electron/main/secrets/resolve-profile-secrets.js';
import {
  MemorySecretStore,
  SecretStoreError,
} from '../../../../../electron/main/secrets/secret-store.js';

const base = { version: 1, name: 'Office', server: 'vpn.example.com' };

describe('resolveProfileSecrets', () => {
  it('replaces a PSK reference by the stored secret and leaves the input untouched', async () => {
    const store = new MemorySecretStore();
    await store.set('office/psk', 's3cret');
    const profile = parseProfile({
      ...base,
      auth: { method: 'psk', secret: { keychain: 'office/psk' } },
    });
    const resolved = await resolveProfileSecrets(profile, store);
    expect(resolved.auth).toEqual({ method: 'psk', secret: 's3cret' });
    expect(profile.auth).toEqual({ method: 'psk', secret: { keychain: 'office/psk' } });
    // The resolved profile is still a valid profile for the helper.
    expect(parseProfile(resolved)).toEqual(resolved);
  });

  it('resolves an EAP password and a certificate passphrase', async () => {
    const store = new MemorySecretStore();
    await store.set('eap', 'pw');
    await store.set('key', 'phrase');
    const eap = parseProfile({
      ...base,
      auth: { method: 'eap-mschapv2', username: 'alice', password: { keychain: 'eap' } },
    });
    expect((await resolveProfileSecrets(eap, store)).auth).toEqual({
      method: 'eap-mschapv2',
      username: 'alice',
      password: 'pw',
    });
    const cert = parseProfile({
      ...base,
      auth: {
        method: 'cert',
        certificate: 'a.pem',
        privateKey: 'a.key',
        passphrase: { keychain: 'key' },
      },
    });
    expect((await resolveProfileSecrets(cert, store)).auth).toMatchObject({ passphrase: 'phrase' });
  });

  it('leaves a certificate profile without passphrase as it is', async () => {
    const cert = parseProfile({
      ...base,
      auth: { method: 'cert', certificate: 'a.pem', privateKey: 'a.key' },
    });
    const resolved = await resolveProfileSecrets(cert, new MemorySecretStore());
    expect(resolved.auth).toEqual(cert.auth);
    expect('passphrase' in resolved.auth).toBe(false);
  });

  it('names the field and the account when the keychain entry is empty', async () => {
    const profile = parseProfile({
      ...base,
      auth: { method: 'eap-mschapv2', username: 'alice', password: { keychain: 'gone' } },
    });
    const error = await resolveProfileSecrets(profile, new MemorySecretStore()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error).toMatchObject({ code: 'missing-secret' });
    expect((error as Error).message).toMatch(/auth\.password .* "gone"/);
  });

  it('passes keychain failures through', async () => {
    const failing = new KeytarSecretStore('Tsunagi', async () => ({
      getPassword: () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')),
      setPassword: () => Promise.resolve(),
      deletePassword: () => Promise.resolve(false),
    }));
    const profile = parseProfile({ ...base, auth: { method: 'psk', secret: { keychain: 'k' } } });
    await expect(resolveProfileSecrets(profile, failing)).rejects.toMatchObject({
      code: 'no-keychain',
    });
  });
});

describe('collectProfileSecrets', () => {
  it('maps each keychain account to its secret, for the helper connect request', async () => {
    const store = new MemorySecretStore();
    await store.set('profile/o/password', 'pw');
    const profile = parseProfile({
      ...base,
      auth: { method: 'eap-mschapv2', username: 'a', password: { keychain: 'profile/o/password' } },
    });
    expect(await collectProfileSecrets(profile, store)).toEqual({ 'profile/o/password': 'pw' });
    const noSecret = parseProfile({
      ...base,
      auth: { method: 'cert', certificate: 'a', privateKey: 'b' },
    });
    expect(await collectProfileSecrets(noSecret, store)).toEqual({});
  });
});

describe('KeytarSecretStore error handling', () => {
  it('reports a keytar that cannot load as no-keychain, and retries the load next time', async () => {
    let loads = 0;
    const fake: KeytarLike = {
      getPassword: async () => 'x',
      setPassword: async () => {},
      deletePassword: async () => true,
    };
    const store = new KeytarSecretStore('Tsunagi', async () => {
      loads += 1;
      if (loads === 1) throw new Error('keytar.node: cannot open shared object file');
      return fake;
    });
    await expect(store.get('a')).rejects.toMatchObject({ code: 'no-keychain' });
    await expect(store.get('a')).resolves.toBe('x');
    expect(loads).toBe(2);
  });

  it('uses the Tsunagi service name', async () => {
    const calls: string[] = [];
    const store = new KeytarSecretStore(undefined, async () => ({
      getPassword: async (service, account) => (calls.push(`${service}:${account}`), null),
      setPassword: async () => {},
      deletePassword: async () => false,
    }));
    expect(await store.get('acct')).toBeUndefined();
    expect(calls).toEqual(['Tsunagi:acct']);
  });

  it('refuses empty and control-character account names', async () => {
    const store = new MemorySecretStore();
    await expect(store.get('  ')).rejects.toBeInstanceOf(SecretStoreError);
    await expect(store.set('a\nb', 'x')).rejects.toBeInstanceOf(SecretStoreError);
  });

  it.each([
    ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'no-keychain'],
    ['The name org.freedesktop.secrets was not provided by any .service files', 'no-keychain'],
    [
      'Object does not exist at path “/org/freedesktop/secrets/collection/login”',
      'keychain-locked',
    ],
    ['Something odd', 'keychain-failed'],
  ])('classifies "%s" as %s', (message, code) => {
    expect(classifyKeychainError(new Error(message), 'ctx').code).toBe(code);
  });
});
