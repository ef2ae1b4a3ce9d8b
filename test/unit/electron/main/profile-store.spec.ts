import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JsonFileProfileStore,
  ProfileStoreError,
} from '../../../../electron/main/profile-store.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tsunagi-profiles-'));
  file = path.join(dir, 'profiles.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const office = {
  id: 'office',
  profile: {
    version: 1,
    name: 'Office',
    server: 'vpn.example.com',
    remoteId: 'vpn.example.com',
    auth: { method: 'eap-mschapv2', username: 'alice', password: { keychain: 'tsunagi/office' } },
  },
};
const lab = {
  id: 'lab',
  profile: {
    version: 1,
    name: 'Lab',
    server: '192.0.2.10',
    auth: { method: 'psk', secret: { keychain: 'tsunagi/lab' } },
  },
};

async function storeWith(content: unknown): Promise<JsonFileProfileStore> {
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return new JsonFileProfileStore(file);
}

async function failure(promise: Promise<unknown>): Promise<ProfileStoreError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProfileStoreError);
  return error as ProfileStoreError;
}

describe('JsonFileProfileStore', () => {
  it('lists no profiles when the file does not exist', async () => {
    const store = new JsonFileProfileStore(path.join(dir, 'missing', 'profiles.json'));
    await expect(store.list()).resolves.toEqual([]);
    await expect(store.read('office')).resolves.toBeUndefined();
  });

  it('lists the profiles of a valid file as summaries, in file order', async () => {
    const store = await storeWith({ version: 1, profiles: [office, lab] });
    await expect(store.list()).resolves.toEqual([
      { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'eap-mschapv2' },
      { id: 'lab', name: 'Lab', server: '192.0.2.10', authMethod: 'psk' },
    ]);
    await expect(store.read('lab')).resolves.toMatchObject(lab);
  });

  it('reads the file again on every call (no stale cache)', async () => {
    const store = await storeWith({ version: 1, profiles: [] });
    await expect(store.list()).resolves.toEqual([]);
    await writeFile(file, JSON.stringify({ version: 1, profiles: [lab] }));
    await expect(store.list()).resolves.toHaveLength(1);
  });

  it('reports a file that is not JSON as corrupt, naming the file', async () => {
    const store = await storeWith('{ "version": 1, "profiles": [');
    const error = await failure(store.list());
    expect(error.code).toBe('corrupt');
    expect(error.filePath).toBe(file);
    expect(error.message).toMatch(
      new RegExp(
        `^The profile file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt: it is not valid JSON`,
      ),
    );
  });

  it('reports a field of the wrong shape as corrupt, saying where', async () => {
    const store = await storeWith({
      version: 1,
      profiles: [office, { ...lab, profile: { ...lab.profile, server: 42 } }],
    });
    const error = await failure(store.list());
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain('is corrupt: profiles.1 ("lab"): server:');
    const badId = await failure(
      (await storeWith({ version: 1, profiles: [{ ...lab, id: 'Lab One' }] })).list(),
    );
    expect(badId.message).toContain('is corrupt: profiles.0.id: must be lowercase');
  });

  it('reports an unknown auth method, a blank name and duplicate ids as corrupt', async () => {
    for (const profiles of [
      [{ ...lab, profile: { ...lab.profile, auth: { method: 'password-in-clear' } } }],
      [{ ...lab, profile: { ...lab.profile, name: '   ' } }],
      [lab, { ...office, id: 'lab' }],
    ]) {
      const error = await failure((await storeWith({ version: 1, profiles })).list());
      expect(error.code).toBe('corrupt');
    }
    const error = await failure(
      (await storeWith({ version: 1, profiles: [lab, { ...office, id: 'lab' }] })).list(),
    );
    expect(error.message).toContain('the profile id "lab" appears twice');
  });

  it('refuses a secret written in clear: the app keeps secrets in the keychain', async () => {
    for (const [auth, field] of [
      [{ method: 'psk', secret: 'hunter2' }, 'auth.secret'],
      [{ method: 'eap-mschapv2', username: 'alice', password: 'hunter2' }, 'auth.password'],
      [
        { method: 'cert', certificate: 'a.pem', privateKey: 'a.key', passphrase: 'x' },
        'auth.passphrase',
      ],
    ] as const) {
      const store = await storeWith({
        version: 1,
        profiles: [{ ...lab, profile: { ...lab.profile, auth } }],
      });
      const error = await failure(store.list());
      expect(error.code).toBe('corrupt');
      expect(error.message).toContain(`profiles.0 ("lab"): ${field} holds a secret`);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('reports a file without a version or from a newer Tsunagi as corrupt', async () => {
    const noVersion = await failure((await storeWith({ profiles: [] })).list());
    expect(noVersion.message).toContain('is corrupt: version:');
    const newer = await failure((await storeWith({ version: 2, profiles: [] })).list());
    expect(newer.message).toContain('written by a newer Tsunagi (format version 2');
  });

  it('reports a path it cannot read as unreadable', async () => {
    await mkdir(file);
    const error = await failure(new JsonFileProfileStore(file).list());
    expect(error.code).toBe('unreadable');
    expect(error.message).toContain(`Cannot read the profile file ${file}`);
  });
});
