// Where main keeps the user's VPN profiles: one JSON file in the user's config directory
// (Electron's userData). Each entry is an id plus a profile in the shared profile format
// (native-helper/profile/profile.ts, the contract between users, the app and the helper):
//
//   { "version": 1,
//     "profiles": [ { "id": "office",
//                     "profile": { "version": 1, "name": "Office", "server": "vpn.example.com",
//                                  "auth": { "method": "eap-mschapv2", "username": "alice",
//                                            "password": { "keychain": "tsunagi/office" } } } } ] }
//
// Secrets are never in this file, only keychain references: an inline secret makes the file
// invalid. No file yet means no profiles. A file that cannot be understood is an error the user
// sees, never an empty list: showing "No profiles yet" would hide their data.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { parseProfile, ProfileError, type Profile } from '../../native-helper/profile/profile.js';
import type { ProfileAuthMethod, ProfileSummary } from '../shared/ipc-schema.js';

export const PROFILE_FILE_NAME = 'profiles.json';
export const PROFILE_FILE_VERSION = 1;

const ProfileFileSchema = v.object({
  version: v.literal(PROFILE_FILE_VERSION),
  profiles: v.array(
    v.object({
      id: v.pipe(
        v.string(),
        v.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits and dashes'),
      ),
      profile: v.unknown(),
    }),
  ),
});

export interface StoredProfile {
  readonly id: string;
  readonly profile: Profile;
}

export interface ProfileStore {
  /** Every profile, in file order; [] when there is no profile file yet. */
  list(): Promise<ProfileSummary[]>;
  /** One profile by id, or undefined. */
  read(id: string): Promise<StoredProfile | undefined>;
  /** Adds (new id) or replaces (existing id) a profile; refuses inline secrets. */
  save(stored: StoredProfile): Promise<void>;
  /** Removes a profile; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** A fresh id derived from `name`, unused in the store. */
  newId(name: string): Promise<string>;
}

export type ProfileStoreErrorCode = 'corrupt' | 'unreadable';

export class ProfileStoreError extends Error {
  override readonly name = 'ProfileStoreError';
  constructor(
    readonly code: ProfileStoreErrorCode,
    readonly filePath: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function toProfileSummary({ id, profile }: StoredProfile): ProfileSummary {
  // The profile format's methods and the IPC schema's must stay the same set.
  const authMethod: ProfileAuthMethod = profile.auth.method;
  return { id, name: profile.name, server: profile.server, authMethod };
}

export class JsonFileProfileStore implements ProfileStore {
  constructor(readonly filePath: string) {}

  async list(): Promise<ProfileSummary[]> {
    return (await this.load()).map(toProfileSummary);
  }

  async read(id: string): Promise<StoredProfile | undefined> {
    return (await this.load()).find((stored) => stored.id === id);
  }

  async save(stored: StoredProfile): Promise<void> {
    const inline = inlineSecretField(stored.profile);
    if (inline) {
      throw new ProfileStoreError(
        'corrupt',
        this.filePath,
        `${inline} holds a secret; the app keeps secrets in the keychain, never in ${this.filePath}`,
      );
    }
    await this.mutate((all) => {
      const at = all.findIndex((p) => p.id === stored.id);
      if (at >= 0) all[at] = stored;
      else all.push(stored);
    });
  }

  async delete(id: string): Promise<boolean> {
    let found = false;
    await this.mutate((all) => {
      const at = all.findIndex((p) => p.id === id);
      found = at >= 0;
      if (found) all.splice(at, 1);
    });
    return found;
  }

  async newId(name: string): Promise<string> {
    const taken = new Set((await this.load()).map((p) => p.id));
    const base =
      name
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 48) || 'profile';
    const start = /^[a-z0-9]/.test(base) ? base : `p-${base}`;
    if (!taken.has(start)) return start;
    for (let n = 2; ; n++) {
      if (!taken.has(`${start}-${n}`)) return `${start}-${n}`;
    }
  }

  private writes: Promise<void> = Promise.resolve();

  /** Serialised read-modify-write, written atomically (temporary file + rename). */
  private mutate(change: (all: StoredProfile[]) => void): Promise<void> {
    const run = this.writes.then(async () => {
      const all = await this.load();
      change(all);
      const text = `${JSON.stringify({ version: PROFILE_FILE_VERSION, profiles: all }, null, 2)}\n`;
      await mkdir(path.dirname(this.filePath), { recursive: true });
      const temp = `${this.filePath}.${process.pid}.tmp`;
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.filePath);
    });
    this.writes = run.catch(() => {});
    return run;
  }

  private async load(): Promise<StoredProfile[]> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if (isErrnoException(error) && error.code === 'ENOENT') return [];
      throw new ProfileStoreError(
        'unreadable',
        this.filePath,
        `Cannot read the profile file ${this.filePath}: ${describe(error)}`,
        { cause: error },
      );
    }
    return parseProfileFile(text, this.filePath);
  }
}

/** Parses and validates the profile file's text; throws a ProfileStoreError('corrupt') saying why. */
export function parseProfileFile(text: string, filePath: string): StoredProfile[] {
  const corrupt = (why: string, cause?: unknown) =>
    new ProfileStoreError(
      'corrupt',
      filePath,
      `The profile file ${filePath} is corrupt: ${why}`,
      cause === undefined ? undefined : { cause },
    );

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(`it is not valid JSON (${describe(error)})`, error);
  }
  if (
    typeof json === 'object' &&
    json !== null &&
    'version' in json &&
    typeof json.version === 'number' &&
    json.version > PROFILE_FILE_VERSION
  ) {
    throw corrupt(
      `it was written by a newer Tsunagi (format version ${json.version}; this one reads version ${PROFILE_FILE_VERSION})`,
    );
  }
  const parsed = v.safeParse(ProfileFileSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw corrupt(`${v.getDotPath(issue) ?? 'the top level'}: ${issue.message}`);
  }

  const seen = new Set<string>();
  return parsed.output.profiles.map(({ id, profile: raw }, index) => {
    const where = `profiles.${index} ("${id}")`;
    if (seen.has(id)) throw corrupt(`the profile id "${id}" appears twice`);
    seen.add(id);
    let profile: Profile;
    try {
      profile = parseProfile(raw);
    } catch (error) {
      if (!(error instanceof ProfileError)) throw error;
      const issues = error.issues.map((i) => `${i.field || 'profile'}: ${i.message}`).join('; ');
      throw corrupt(`${where}: ${issues}`, error);
    }
    const inline = inlineSecretField(profile);
    if (inline) {
      throw corrupt(`${where}: ${inline} holds a secret; the app keeps secrets in the keychain`);
    }
    return { id, profile };
  });
}

/** The field of a secret written in clear, if any (the app's file holds keychain references only). */
export function inlineSecretField(profile: Profile): string | undefined {
  const auth = profile.auth;
  switch (auth.method) {
    case 'psk':
      return typeof auth.secret === 'string' ? 'auth.secret' : undefined;
    case 'eap-mschapv2':
      return typeof auth.password === 'string' ? 'auth.password' : undefined;
    case 'cert':
      return typeof auth.passphrase === 'string' ? 'auth.passphrase' : undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
