/**
 * `tsunagi connect <profile.json> [--json]`: the foreground tunnel. Brings the tunnel up, prints
 * its progress, stays up until SIGINT/SIGTERM, then deletes the SAs with the gateway and restores
 * routes and DNS. Exit 0 after a clean disconnect; 1 with the engine's diagnosis on failure
 * (also for an invalid profile or missing privileges, checked before anything is touched); 2 for
 * a usage error.
 *
 * With --json every line on stdout is one JSON object:
 *   {"type":"state","state":"connecting"|"connected"|"reconnecting"|"disconnected"|"error", …}
 *     connected: server, virtualIp, dns, ike, esp (strongSwan syntax), mtu, tun, routes, since
 *     error:     code, message, fix
 *   {"type":"event","at":…,"event":{…}}           (the IKE timeline)
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IKE_PORT } from '../constants.js';
import { describeIkeError, ikeErrorFix, ikeErrorMessage, type IkeError } from '../ike/ike-error.js';
import { RESOLV_CONF } from '../platform/dns/dns-linux.js';
import { parseProfileJson, ProfileError, type Profile } from '../profile/profile.js';
import {
  TunnelConnection,
  type ConnectionEvents,
  type ConnectionState,
} from '../tunnel/connection.js';
import { stateDir } from '../tunnel/journal.js';
import type { CliIo } from './main.js';
import { privilegeProblem, readPrivilegeFacts, type PrivilegeProblem } from './privileges.js';

export const CONNECT_USAGE = `tsunagi connect <profile.json> [--json]
  Connects in the foreground (as root: sudo) and stays up until Ctrl-C.
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

/** The running tunnel as the command sees it (TunnelConnection, or a double in tests). */
export interface ConnectTunnel {
  run(): Promise<Extract<ConnectionState, { state: 'disconnected' | 'error' }>>;
  stop(): void;
}

/** What the command needs from the outside world; tests pass doubles. */
export interface ConnectEnv {
  readFile(path: string): Promise<string>;
  /** What keeps this process from setting up the profile's tunnel, if anything. */
  privileges(profile: Profile): Promise<PrivilegeProblem | undefined>;
  tunnel(profile: Profile, events: ConnectionEvents, baseDir: string): ConnectTunnel;
  /** Calls `stop` on SIGINT/SIGTERM until the returned function is called. */
  onStopSignal(stop: () => void): () => void;
}

export const processConnectEnv: ConnectEnv = {
  readFile: (path) => readFile(path, 'utf8'),
  privileges: async (profile) => {
    const needs = {
      ikePort: IKE_PORT,
      dns: profile.dns,
      resolvConf: RESOLV_CONF,
      stateDir: stateDir(),
    };
    return privilegeProblem(await readPrivilegeFacts(needs), needs);
  },
  tunnel: (profile, events, baseDir) => new TunnelConnection(profile, events, baseDir),
  onStopSignal: (stop) => {
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  },
};

export async function connectCommand(
  args: readonly string[],
  io: CliIo,
  env: ConnectEnv = processConnectEnv,
): Promise<number> {
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
  const failWith = (code: IkeError['code'], message: string, fix: string): number => {
    out.state('error', { code, message, fix });
    if (!json) io.err(`tsunagi: ${message} — ${fix}\n`);
    return 1;
  };
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
    profile = parseProfileJson(await env.readFile(path), path);
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

  // Before anything is touched: no journal repair, no socket, no device without the rights.
  const missing = await env.privileges(profile);
  if (missing) return failWith('local-setup-failed', missing.message, missing.fix);

  const connection = env.tunnel(
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
  const unsubscribe = env.onStopSignal(() => {
    out.info('disconnecting…');
    connection.stop();
  });
  try {
    const final = await connection.run();
    return final.state === 'error' ? 1 : 0;
  } finally {
    unsubscribe();
  }
}
