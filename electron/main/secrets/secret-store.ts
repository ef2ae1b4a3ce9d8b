// Where the app keeps profile secrets (pre-shared keys, EAP passwords, key passphrases): the
// user's keychain, never the profile file (ARCHITECTURE.md, "Secrets travel from the user's
// keychain to the helper only at connect time"). One service name, "Tsunagi"; the account is the
// string the profile's `{ "keychain": "<account>" }` reference names.

export const SECRET_SERVICE = 'Tsunagi';

export interface SecretStore {
  /** The secret stored for `account`, or undefined when there is none. */
  get(account: string): Promise<string | undefined>;
  /** Stores (or replaces) the secret for `account`. */
  set(account: string, secret: string): Promise<void>;
  /** Removes the secret; true when there was one. */
  delete(account: string): Promise<boolean>;
}

export type SecretStoreErrorCode =
  /** No keychain service answers (no Secret Service on the session bus, no bus at all). */
  | 'no-keychain'
  /** The keychain exists but is locked and the user did not unlock it. */
  | 'keychain-locked'
  /** The keychain answered with an error we do not know more about. */
  | 'keychain-failed'
  /** A profile names a keychain account that holds nothing. */
  | 'missing-secret';

export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
  constructor(
    readonly code: SecretStoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Account names are the references written in profiles: short, printable, no surprises. */
export function checkAccount(account: string): void {
  if (
    account.trim() === '' ||
    account.length > 256 ||
    [...account].some((c) => c.charCodeAt(0) < 0x20)
  ) {
    throw new SecretStoreError(
      'keychain-failed',
      `"${account}" is not a usable keychain account name (1–256 printable characters)`,
    );
  }
}

/** An in-memory SecretStore: for tests, and for code that must run without a keychain. */
export class MemorySecretStore implements SecretStore {
  readonly entries = new Map<string, string>();

  async get(account: string): Promise<string | undefined> {
    checkAccount(account);
    return this.entries.get(account);
  }

  async set(account: string, secret: string): Promise<void> {
    checkAccount(account);
    this.entries.set(account, secret);
  }

  async delete(account: string): Promise<boolean> {
    checkAccount(account);
    return this.entries.delete(account);
  }
}
