/**
 * `tsunagi up <profile.json> [--no-wait] [--json]`: asks the helper to connect. The profile and
 * the certificate, key and CA files it names are read here, as the invoking user, and sent with
 * its inline secrets over the socket (the helper keeps them in memory only and never opens a
 * file a client named). Waits for connected (exit 0) or error (exit 1).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseProfile } from '../profile/profile.js';
import { profileFileRefs } from '../profile/profile-files.js';
import type { CliIo } from './main.js';
import { describeState, waitForState, withHelper } from './helper-client.js';

export const UP_USAGE = `tsunagi up <profile.json> [--no-wait] [--json]
  Connects through the helper (tsunagi-helper.service) and returns once connected.`;

export async function upCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const wait = !args.includes('--no-wait');
  const positional = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--json' && a !== '--no-wait');
  if (positional.length !== 1 || unknown.length) {
    io.err(`usage: ${UP_USAGE}\n`);
    return 2;
  }
  const path = resolve(positional[0]!);
  let profile: unknown;
  try {
    profile = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    io.err(`tsunagi up: cannot read ${path}: ${(e as Error).message}\n`);
    return 1;
  }
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) {
    io.err(`tsunagi up: ${path} is not a profile (a JSON object)\n`);
    return 1;
  }
  // The files the profile needs, read with this user's rights. A profile that does not validate
  // goes as it is: the helper answers with the validation errors.
  const files: Record<string, string> = {};
  let refs: ReturnType<typeof profileFileRefs> = [];
  try {
    refs = profileFileRefs(parseProfile(profile));
  } catch {
    refs = [];
  }
  for (const ref of refs) {
    try {
      files[ref.path] = await readFile(resolve(dirname(path), ref.path), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      io.err(
        `tsunagi up: cannot read ${ref.path} (${ref.field} in ${path}): ${code}; paths are relative to the profile's folder\n`,
      );
      return 1;
    }
  }
  return withHelper('up', io, async (client) => {
    const print = (s: Parameters<typeof describeState>[0]) =>
      io.out(json ? `${JSON.stringify({ type: 'state', ...s })}\n` : `${describeState(s)}\n`);
    const settled = wait ? waitForState(client, ['connected', 'error'], print) : undefined;
    if (wait) await client.request({ method: 'subscribe', topics: ['state'] });
    const r = await client.request({
      method: 'connect',
      profile: profile as Record<string, unknown>,
      baseDir: dirname(path),
      ...(refs.length ? { files } : {}),
    });
    if (!settled) {
      if (r.kind === 'accepted') print(r.state);
      return 0;
    }
    const final = await settled;
    return final.state === 'connected' ? 0 : 1;
  });
}
