// Where main keeps the user's VPN profiles: one JSON file in the user's config directory
// (Electron's userData). Secrets are never in it: they live in the keychain.
//
//   { "version": 1,
//     "profiles": [ { "id": "office", "name": "Office", "server": "vpn.example.com",
//                     "remoteId": "vpn.example.com",
//                     "auth": { "kind": "eap-mschapv2", "username": "alice" } } ] }
//
// No file yet means no profiles. A file that cannot be understood is an error the user sees,
// never an empty list: silently showing "No profiles yet" would hide their data.

import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import type { ProfileSummary } from '../shared/ipc-schema.js';

export const PROFILE_FILE_NAME = 'profiles.json';
export const PROFILE_FILE_VERSION = 1;

const nonEmpty = v.pipe(v.string(), v.trim(), v.nonEmpty());

const StoredProfileSchema = v.object({
  id: nonEmpty,
  name: nonEmpty,
  server: nonEmpty,
  remoteId: v.optional(nonEmpty),
  auth: v.variant('kind', [
    v.object({ kind: v.literal('eap-mschapv2'), username: nonEmpty }),
    v.object({ kind: v.literal('psk') }),
    v.object({ kind: v.literal('certificate') }),
  ]),
});

const ProfileFileSchema = v.object({
  version: v.literal(PROFILE_FILE_VERSION),
  profiles: v.array(StoredProfileSchema),
});

export type StoredProfile = v.InferOutput<typeof StoredProfileSchema>;

export interface ProfileStore {
  /** Every profile, in file order; [] when there is no profile file yet. */
  list(): Promise<ProfileSummary[]>;
  /** One profile by id, or undefined. */
  read(id: string): Promise<StoredProfile | undefined>;
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

export function toProfileSummary(profile: StoredProfile): ProfileSummary {
  return {
    id: profile.id,
    name: profile.name,
    server: profile.server,
    authKind: profile.auth.kind,
  };
}

export class JsonFileProfileStore implements ProfileStore {
  constructor(readonly filePath: string) {}

  async list(): Promise<ProfileSummary[]> {
    return (await this.load()).map(toProfileSummary);
  }

  async read(id: string): Promise<StoredProfile | undefined> {
    return (await this.load()).find((profile) => profile.id === id);
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
        `Cannot read the profile file ${this.filePath}: ${error instanceof Error ? error.message : String(error)}`,
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
    throw corrupt(
      `it is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      error,
    );
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
    const where = v.getDotPath(issue) ?? 'the top level';
    throw corrupt(`${where}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const profile of parsed.output.profiles) {
    if (seen.has(profile.id)) throw corrupt(`the profile id "${profile.id}" appears twice`);
    seen.add(profile.id);
  }
  return parsed.output.profiles;
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
