/**
 * `tsunagi connect <profile.json> [--json]`: the foreground tunnel. Brings the tunnel up, prints
 * its progress, stays up until SIGINT/SIGTERM, then deletes the SAs with the gateway and restores
 * routes and DNS. Exit 0 after a clean disconnect; 1 with the engine's diagnosis on failure.
 *
 * With --json every line on stdout is one JSON object:
 *   {"type":"state","state":"connecting"|"connected"|"disconnected"|"error", …}
 *   {"type":"event","at":…,"event":{…}}           (the IKE timeline)
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeIkeError, ikeErrorFix, ikeErrorMessage, type IkeError } from '../ike/ike-error.js';
import { parseProfileJson, ProfileError, type Profile } from '../profile/profile.js';
import { TunnelConnection, type ConnectionState } from '../tunnel/connection.js';
import type { CliIo } from './main.js';

export const CONNECT_USAGE = `tsunagi connect <profile.json> [--json]
  Connects in the foreground (needs root or CAP_NET_ADMIN) and stays up until Ctrl-C.
  --json   one JSON object per line: states and the IKE timeline`;

interface Printer {
  state(state: string, extra?: Record<string, unknown>): void;
  info(text: string): void;
  event(at: number, event: unknown): void;
}

function printer(io: CliIo, json: boolean): Printer {
  return json
    ? {
        state: (state, extra = {}) =>
          io.out(`${JSON.stringify({ type: 'state', state, ...extra })}\n`),
        info: () => undefined,
        event: (at, event) => io.out(`${JSON.stringify({ type: 'event', at, event })}\n`),
      }
    : {
        state: (state, extra = {}) => {
          const details = Object.entries(extra)
            .filter(([k]) => k !== 'fix')
            .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
            .join(' ');
          io.out(`${state}${details ? `  ${details}` : ''}\n`);
        },
        info: (text) => io.out(`  ${text}\n`),
        event: (_at, event) => io.out(`  · ${describeEvent(event)}\n`),
      };
}

function describeEvent(e: unknown): string {
  const ev = e as { kind: string } & Record<string, unknown>;
  const rest = Object.entries(ev)
    .filter(([k]) => k !== 'kind')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${ev.kind}${rest ? ` ${rest}` : ''}`;
}

export async function connectCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const positional = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--json');
  if (positional.length !== 1 || unknown.length) {
    io.err(
      `${unknown.length ? `tsunagi connect: unknown option ${unknown[0]}\n` : ''}usage: ${CONNECT_USAGE}\n`,
    );
    return 2;
  }
  const out = printer(io, json);
  const fail = (error: IkeError): number => {
    out.state('error', {
      code: error.code,
      message: ikeErrorMessage(error),
      fix: ikeErrorFix(error),
    });
    if (!json) io.err(`tsunagi: ${describeIkeError(error)}\n`);
    return 1;
  };

  const path = positional[0]!;
  let profile: Profile;
  try {
    profile = parseProfileJson(await readFile(path, 'utf8'), path);
  } catch (e) {
    if (e instanceof ProfileError) {
      const first = e.issues[0]!;
      if (!json) io.err(`${e.message}\n`);
      return fail({
        code: 'config-invalid',
        field: first.field || 'profile',
        detail: first.message,
      });
    }
    return fail({
      code: 'config-invalid',
      field: 'profile',
      detail: `cannot read ${path}: ${(e as Error).message}`,
    });
  }

  const connection = new TunnelConnection(
    profile,
    {
      state: (st: ConnectionState) => {
        const { state, ...rest } = st;
        if (st.state === 'error') {
          out.state('error', { code: st.code, message: st.message, fix: st.fix });
          if (!json) io.err(`tsunagi: ${st.message} — ${st.fix}\n`);
          return;
        }
        out.state(state, rest);
      },
      timeline: (event, at) => out.event(at, event),
      log: (text) => out.info(text),
    },
    dirname(path),
  );
  const onSignal = () => {
    out.info('disconnecting…');
    connection.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const final = await connection.run();
    return final.state === 'error' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
