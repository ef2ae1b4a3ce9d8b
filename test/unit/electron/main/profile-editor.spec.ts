import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileEditor, validateDraft } from '../../../../electron/main/profile-editor.js';
import { JsonFileProfileStore } from '../../../../electron/main/profile-store.js';
import {
  MemorySecretStore,
  SecretStoreError,
  type SecretStore,
} from '../../../../electron/main/secrets/secret-store.js';
import type { ProfileDocument } from '../../../../electron/shared/ipc-schema.js';

let dir: string;
let store: JsonFileProfileStore;
let secrets: MemorySecretStore;
let editor: ProfileEditor;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tsunagi-editor-'));
  store = new JsonFileProfileStore(path.join(dir, 'profiles.json'));
  secrets = new MemorySecretStore();
  editor = new ProfileEditor(store, secrets);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const psk: ProfileDocument = {
  version: 1,
  name: 'Office VPN',
  server: 'vpn.example.com',
  auth: { method: 'psk' },
};

describe('validateDraft', () => {
  it('names each bad field', () => {
    expect(
      validateDraft({ profile: { ...psk, server: 'https://vpn.example.com/x' }, secret: 'k' }),
    ).toEqual([
      {
        field: 'server',
        message: 'must be a host name or an IP address, without a scheme or path',
      },
    ]);
    expect(validateDraft({ profile: psk })).toEqual([
      { field: 'auth.secret', message: 'enter the pre-shared key' },
    ]);
    expect(
      validateDraft({ profile: { ...psk, routes: ['10.0.0.0/8', '10.1'] }, secret: 'k' }),
    ).toEqual([
      { field: 'routes[1]', message: '"10.1" is not a CIDR like 10.0.0.0/8 or fd00::/8' },
    ]);
  });
  it('checks IKE and ESP proposals with the strongSwan syntax', () => {
    expect(
      validateDraft({ profile: { ...psk, ike: 'aes256gcm16-prfsha256-x25519' }, secret: 'k' }),
    ).toEqual([]);
    const issues = validateDraft({
      profile: { ...psk, ike: 'aes256-blowfish-x25519', esp: 'aes256gcm16' },
      secret: 'k',
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe('ike');
    expect(issues[0]!.message).toMatch(/blowfish/);
  });
  it('a certificate passphrase is optional', () => {
    const cert: ProfileDocument = {
      ...psk,
      auth: { method: 'cert', certificate: 'a.pem', privateKey: 'a.key' },
    };
    expect(validateDraft({ profile: cert })).toEqual([]);
  });
});

describe('ProfileEditor', () => {
  it('saves a new profile with its secret in the keychain and only a reference on disk', async () => {
    const result = await editor.save({ profile: psk, secret: 'hunter2' });
    expect(result).toEqual({
      saved: true,
      profile: {
        id: 'office-vpn',
        name: 'Office VPN',
        server: 'vpn.example.com',
        authMethod: 'psk',
      },
    });
    expect(secrets.entries.get('profile/office-vpn/secret')).toBe('hunter2');
    const text = await readFile(path.join(dir, 'profiles.json'), 'utf8');
    expect(text).not.toContain('hunter2');
    expect((await editor.get('office-vpn')).profile.auth).toEqual({
      method: 'psk',
      secret: { keychain: 'profile/office-vpn/secret' },
    });
    // Editing without retyping the secret keeps the reference.
    const { profile } = await editor.get('office-vpn');
    await editor.save({ id: 'office-vpn', profile: { ...profile, server: '203.0.113.9' } });
    expect((await store.list())[0]).toMatchObject({ id: 'office-vpn', server: '203.0.113.9' });
  });

  it('answers issues instead of saving an invalid profile', async () => {
    const result = await editor.save({ profile: { ...psk, name: ' ' }, secret: 'x' });
    expect(result).toEqual({
      saved: false,
      issues: [{ field: 'name', message: 'the name must not be empty' }],
    });
    expect(await store.list()).toEqual([]);
  });

  it('fails with keychain-unavailable, and writes nothing, when the keychain is down', async () => {
    const down: SecretStore = {
      get: async () => undefined,
      set: async () => {
        throw new SecretStoreError(
          'no-keychain',
          'no keychain service is running (Secret Service/gnome-keyring): x',
        );
      },
      delete: async () => false,
    };
    const error = await new ProfileEditor(store, down)
      .save({ profile: psk, secret: 'k' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'keychain-unavailable' });
    expect(await store.list()).toEqual([]);
  });

  it('duplicates with a new id and its own secret; delete removes the secret it owns', async () => {
    await editor.save({ profile: psk, secret: 'k1' });
    const copy = await editor.duplicate('office-vpn');
    expect(copy).toMatchObject({ id: 'office-vpn-copy', name: 'Office VPN (copy)' });
    expect(secrets.entries.get('profile/office-vpn-copy/secret')).toBe('k1');
    await editor.delete('office-vpn');
    expect(secrets.entries.has('profile/office-vpn/secret')).toBe(false);
    expect(secrets.entries.get('profile/office-vpn-copy/secret')).toBe('k1');
    expect((await store.list()).map((p) => p.id)).toEqual(['office-vpn-copy']);
    await expect(editor.delete('office-vpn')).rejects.toMatchObject({ code: 'profile-not-found' });
  });

  it('imports a file with an inline secret into the keychain, exports without secrets', async () => {
    const file = path.join(dir, 'import.json');
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        name: 'Home',
        server: 'home.example.net',
        auth: { method: 'eap-mschapv2', username: 'al', password: 'pw!' },
      }),
    );
    const summary = await editor.importFile(file);
    expect(summary).toEqual({
      id: 'home',
      name: 'Home',
      server: 'home.example.net',
      authMethod: 'eap-mschapv2',
    });
    expect(secrets.entries.get('profile/home/password')).toBe('pw!');
    const out = path.join(dir, 'export.json');
    await editor.exportFile('home', out);
    const exported = await readFile(out, 'utf8');
    expect(exported).not.toContain('pw!');
    expect(JSON.parse(exported).auth).toEqual({
      method: 'eap-mschapv2',
      username: 'al',
      password: { keychain: 'profile/home/password' },
    });
  });

  it('refuses an invalid import with the profile errors', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ version: 1, name: 'X', server: 'x', auth: { method: 'telepathy' } }),
    );
    const error = await editor.importFile(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'profile-invalid' });
    expect((error as Error).message).toMatch(/auth/);
    await writeFile(file, '{ nope');
    await expect(editor.importFile(file)).rejects.toMatchObject({ code: 'profile-invalid' });
  });
});
