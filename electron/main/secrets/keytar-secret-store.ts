// SecretStore over keytar: libsecret (Secret Service: gnome-keyring, KWallet) on Linux, the
// Keychain on macOS, the Credential Vault on Windows. keytar is loaded lazily so that a missing or
// unbuildable native module is one clear error at the first use, not a crash at start.

import {
  checkAccount,
  SECRET_SERVICE,
  SecretStoreError,
  type SecretStore,
} from './secret-store.js';

/** The keytar functions used (keytar.d.ts). */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export type KeytarLoader = () => Promise<KeytarLike>;

const loadKeytar: KeytarLoader = async () => {
  const loaded = (await import('keytar')) as KeytarLike & { default?: KeytarLike };
  // keytar is CommonJS: under ESM its module.exports is `default` (Node's named-export detection
  // finds only some of its functions).
  return loaded.default ?? loaded;
};

export class KeytarSecretStore implements SecretStore {
  private keytar: Promise<KeytarLike> | undefined;

  constructor(
    private readonly service = SECRET_SERVICE,
    private readonly load: KeytarLoader = loadKeytar,
  ) {}

  async get(account: string): Promise<string | undefined> {
    checkAccount(account);
    const secret = await this.call('read', account, (k) => k.getPassword(this.service, account));
    return secret ?? undefined;
  }

  async set(account: string, secret: string): Promise<void> {
    checkAccount(account);
    await this.call('store', account, (k) => k.setPassword(this.service, account, secret));
  }

  async delete(account: string): Promise<boolean> {
    checkAccount(account);
    return this.call('delete', account, (k) => k.deletePassword(this.service, account));
  }

  private async call<T>(
    what: string,
    account: string,
    run: (keytar: KeytarLike) => Promise<T>,
  ): Promise<T> {
    let keytar: KeytarLike;
    try {
      keytar = await (this.keytar ??= this.load());
    } catch (error) {
      this.keytar = undefined;
      throw new SecretStoreError(
        'no-keychain',
        `the keychain module (keytar) cannot be loaded: ${describe(error)}`,
        { cause: error },
      );
    }
    try {
      return await run(keytar);
    } catch (error) {
      throw classifyKeychainError(error, `Cannot ${what} the secret "${account}"`);
    }
  }
}

/**
 * Turns libsecret/keytar failures into the errors users can act on. The messages are libsecret's
 * and D-Bus's own (measured: PLATFORM.md, "Electron, renderer, keychain").
 */
export function classifyKeychainError(error: unknown, context: string): SecretStoreError {
  const message = describe(error);
  const noService = [
    /Cannot autolaunch D-Bus/i,
    /org\.freedesktop\.secrets was not provided/i,
    /Failed to connect to socket/i,
    /Could not connect/i,
    /No such file or directory/i,
    /ServiceUnknown/i,
    /Connection refused/i,
  ];
  if (noService.some((pattern) => pattern.test(message))) {
    return new SecretStoreError(
      'no-keychain',
      `no keychain service is running (Secret Service/gnome-keyring): ${message}`,
      { cause: error },
    );
  }
  if (/Object does not exist at path .*collection/i.test(message) || /locked/i.test(message)) {
    return new SecretStoreError(
      'keychain-locked',
      `${context}: the keychain is locked; unlock it (log in again, or open your keyring) and retry (${message})`,
      { cause: error },
    );
  }
  return new SecretStoreError('keychain-failed', `${context}: ${message}`, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
