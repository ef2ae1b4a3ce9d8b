// Main's side of the profile editor: validation with the shared profile schema and the strongSwan
// proposal syntax, secrets moved into the keychain (the file gets `{ "keychain": … }` only),
// duplicate, delete, import and export. The renderer only ever sees ProfileDocuments.

import { readFile, writeFile } from 'node:fs/promises';
import {
  parseProposals,
  ProposalSyntaxError,
} from '../../native-helper/ike/crypto/proposal-syntax.js';
import {
  keychainReferences,
  parseProfile,
  ProfileError,
  type Profile,
  type SecretValue,
} from '../../native-helper/profile/profile.js';
import { IpcCallError } from '../shared/ipc-helpers.js';
import type {
  ProfileDetails,
  ProfileDocument,
  ProfileDraft,
  ProfileFieldIssue,
  ProfileSaveResult,
  ProfileSummary,
} from '../shared/ipc-schema.js';
import { toProfileSummary, type ProfileStore, type StoredProfile } from './profile-store.js';
import { SecretStoreError, type SecretStore } from './secrets/secret-store.js';

// The editor's document and the profile format must stay the same shape: a stored profile is a
// document, and a document (secrets as references) is an input parseProfile accepts.
const _documentFromProfile = (p: Profile): ProfileDocument => p as ProfileDocument;
void _documentFromProfile;

/** The auth field holding the method's secret. */
export function secretField(method: ProfileDocument['auth']['method']): string {
  return method === 'psk' ? 'secret' : method === 'eap-mschapv2' ? 'password' : 'passphrase';
}

export function keychainAccount(id: string, method: ProfileDocument['auth']['method']): string {
  return `profile/${id}/${secretField(method)}`;
}

const PLACEHOLDER = { keychain: 'placeholder' };

/** Field issues of a draft; [] when it can be saved. */
export function validateDraft(draft: ProfileDraft): ProfileFieldIssue[] {
  const issues: ProfileFieldIssue[] = [];
  const auth = draft.profile.auth as Record<string, unknown> | undefined;
  const method = auth?.['method'];
  const field =
    method === 'psk' || method === 'cert' || method === 'eap-mschapv2'
      ? secretField(method)
      : undefined;
  // A newly typed secret stands in for the reference it will become.
  let candidate: unknown = draft.profile;
  if (auth && field) {
    const typed = draft.secret;
    if (typed !== undefined && typed !== '') {
      candidate = { ...draft.profile, auth: { ...auth, [field]: PLACEHOLDER } };
    } else if (auth[field] === undefined && method !== 'cert') {
      issues.push({
        field: `auth.${field}`,
        message: method === 'psk' ? 'enter the pre-shared key' : 'enter the password',
      });
    }
  }
  try {
    parseProfile(candidate);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    for (const issue of error.issues) {
      if (!issues.some((i) => i.field === issue.field)) issues.push(issue);
    }
  }
  for (const protocol of ['ike', 'esp'] as const) {
    const text = draft.profile[protocol];
    if (typeof text !== 'string' || text.trim() === '') continue;
    try {
      parseProposals(text, protocol);
    } catch (error) {
      if (!(error instanceof ProposalSyntaxError)) throw error;
      if (!issues.some((i) => i.field === protocol))
        issues.push({ field: protocol, message: error.message });
    }
  }
  return issues;
}

export class ProfileEditor {
  constructor(
    private readonly store: ProfileStore,
    private readonly secrets: SecretStore,
  ) {}

  async get(id: string): Promise<ProfileDetails> {
    const stored = await this.store.read(id);
    if (!stored) throw new IpcCallError('profile-not-found', `There is no profile "${id}"`);
    return { id, profile: stored.profile as ProfileDocument };
  }

  async save(draft: ProfileDraft): Promise<ProfileSaveResult> {
    const issues = validateDraft(draft);
    if (issues.length > 0) return { saved: false, issues };
    if (draft.id !== undefined && !(await this.store.read(draft.id))) {
      throw new IpcCallError('profile-not-found', `There is no profile "${draft.id}"`);
    }
    const id = draft.id ?? (await this.store.newId(draft.profile.name));
    let document = draft.profile;
    if (draft.secret !== undefined && draft.secret !== '') {
      const account = keychainAccount(id, document.auth.method);
      await this.keychain(() => this.secrets.set(account, draft.secret!));
      document = {
        ...document,
        auth: { ...document.auth, [secretField(document.auth.method)]: { keychain: account } },
      } as ProfileDocument;
    }
    const stored: StoredProfile = { id, profile: parseProfile(document) };
    await this.store.save(stored);
    return { saved: true, profile: toProfileSummary(stored) };
  }

  /** Deletes the profile and the keychain entries it owns (those named after its id). */
  async delete(id: string): Promise<void> {
    const stored = await this.store.read(id);
    if (!stored) throw new IpcCallError('profile-not-found', `There is no profile "${id}"`);
    await this.store.delete(id);
    for (const account of keychainReferences(stored.profile)) {
      if (account.startsWith(`profile/${id}/`)) {
        // The profile is gone either way; an unreachable keychain only leaves an orphan entry.
        await this.secrets.delete(account).catch(() => false);
      }
    }
  }

  /** A copy named "<name> (copy)", with its own copy of the secret. */
  async duplicate(id: string): Promise<ProfileSummary> {
    const stored = await this.store.read(id);
    if (!stored) throw new IpcCallError('profile-not-found', `There is no profile "${id}"`);
    const name = `${stored.profile.name} (copy)`;
    const newId = await this.store.newId(name);
    const profile = await this.copySecrets(stored.profile, newId);
    const copy: StoredProfile = { id: newId, profile: { ...profile, name } };
    await this.store.save(copy);
    return toProfileSummary(copy);
  }

  /** Imports a profile file; inline secrets are moved into the keychain, never stored. */
  async importFile(filePath: string): Promise<ProfileSummary> {
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      throw new IpcCallError(
        'profile-invalid',
        `Cannot read ${filePath}: ${(error as Error).message}`,
      );
    }
    let profile: Profile;
    try {
      profile = parseProfile(JSON.parse(text), filePath);
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new IpcCallError(
          'profile-invalid',
          `${filePath} is not valid JSON (${error.message})`,
        );
      }
      if (error instanceof ProfileError) throw new IpcCallError('profile-invalid', error.message);
      throw error;
    }
    const id = await this.store.newId(profile.name);
    const auth = profile.auth;
    const field = secretField(auth.method);
    const value = (auth as Record<string, unknown>)[field] as SecretValue | undefined;
    if (typeof value === 'string') {
      const account = keychainAccount(id, auth.method);
      await this.keychain(() => this.secrets.set(account, value));
      profile = {
        ...profile,
        auth: { ...auth, [field]: { keychain: account } } as Profile['auth'],
      };
    }
    const stored = { id, profile };
    await this.store.save(stored);
    return toProfileSummary(stored);
  }

  /** Writes the profile as stored: keychain references only, never a secret. */
  async exportFile(id: string, filePath: string): Promise<void> {
    const { profile } = await this.get(id);
    await writeFile(filePath, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  }

  private async copySecrets(profile: Profile, newId: string): Promise<Profile> {
    const auth = profile.auth;
    const field = secretField(auth.method);
    const value = (auth as Record<string, unknown>)[field] as SecretValue | undefined;
    if (value === undefined || typeof value === 'string') return profile;
    const secret = await this.keychain(() => this.secrets.get(value.keychain));
    if (secret === undefined) return profile;
    const account = keychainAccount(newId, auth.method);
    await this.keychain(() => this.secrets.set(account, secret));
    return { ...profile, auth: { ...auth, [field]: { keychain: account } } as Profile['auth'] };
  }

  private async keychain<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SecretStoreError) {
        throw new IpcCallError('keychain-unavailable', error.message);
      }
      throw error;
    }
  }
}
