// Run in a child process (bundled by the keychain spec) against whatever keychain the child's
// environment reaches: performs the steps given as JSON in argv[2] with the real
// KeytarSecretStore and prints one JSON line per step: { ok, value } or { ok: false, code, message }.

import { KeytarSecretStore } from '../../electron/main/secrets/keytar-secret-store.js';
import { SecretStoreError } from '../../electron/main/secrets/secret-store.js';

type Step =
  | { op: 'get'; account: string }
  | { op: 'set'; account: string; secret: string }
  | { op: 'delete'; account: string };

const steps = JSON.parse(process.argv[2] ?? '[]') as Step[];
const store = new KeytarSecretStore(process.env['TSUNAGI_SECRET_SERVICE'] ?? 'Tsunagi');

async function main(): Promise<void> {
  for (const step of steps) {
    try {
      const value =
        step.op === 'get'
          ? ((await store.get(step.account)) ?? null)
          : step.op === 'set'
            ? (await store.set(step.account, step.secret), null)
            : await store.delete(step.account);
      console.log(JSON.stringify({ ok: true, value }));
    } catch (error) {
      if (!(error instanceof SecretStoreError)) throw error;
      console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
