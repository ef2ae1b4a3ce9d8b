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
import { IKE_PORT, NATT_PORT } from '../constants.js';
import { describeIkeError, ikeErrorFix, ikeErrorMessage, type IkeError } from '../ike/ike-error.js';
import type { IkeCloseReason, TunnelConfig } from '../ike/ike-events.js';
import { IkeSession } from '../ike/ike-session.js';
import { nodeRandom } from '../platform/crypto/node-crypto-provider.js';
import { applyDns, type AppliedDns } from '../platform/dns/dns-linux.js';
import { planRoutes } from '../platform/routes/route-plan.js';
import { applyRoutes, type AppliedRoutes } from '../platform/routes/routes-linux.js';
import { createTunDevice, type TunDevice } from '../platform/tun/index.js';
import { openUdpTransport, type UdpTransport } from '../platform/udp/udp-transport.js';
import { parseProfileJson, ProfileError, type Profile } from '../profile/profile.js';
import { EspDataPlane } from '../tunnel/data-plane.js';
import { IkeRunner } from '../tunnel/ike-runner.js';
import { clearJournal, recoverFromJournal, writeJournal } from '../tunnel/journal.js';
import { ConfigError, resolveSessionConfig } from '../tunnel/session-config.js';
import type { CliIo } from './main.js';

/** ESP-in-UDP overhead on a 1500-byte path (IPv4 20 + UDP 8 + ESP ≤ 60 with CBC): a safe MTU. */
const DEFAULT_TUN_MTU = 1400;

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

  const repaired = await recoverFromJournal();
  if (repaired) out.info(`repaired routes/DNS left by an earlier run (pid ${repaired.pid})`);

  let resolved;
  try {
    resolved = await resolveSessionConfig(profile);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.error);
    throw e;
  }
  const { config } = resolved;
  out.state('connecting', {
    server: profile.server,
    address: config.server.address,
    local: config.local.address,
  });

  // Resources, each released by whoever acquired it, in reverse order.
  let transport: UdpTransport | undefined;
  let tun: TunDevice | undefined;
  let routes: AppliedRoutes | undefined;
  let dns: AppliedDns | undefined;
  const teardown = async () => {
    await dns?.dispose().catch(() => undefined);
    await routes?.dispose().catch(() => undefined);
    await tun?.close().catch(() => undefined);
    await transport?.close().catch(() => undefined);
    await clearJournal().catch(() => undefined);
  };

  const dataPlane = new EspDataPlane(
    (datagrams) =>
      transport?.sendMany(datagrams, NATT_PORT, {
        address: config.server.address,
        port: NATT_PORT,
      }),
    (packets) => void tun?.write(packets),
    nodeRandom,
  );
  const session = new IkeSession(config);

  return await new Promise<number>((resolve) => {
    let settled = false;
    let connected = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void teardown().then(() => resolve(code));
    };
    const onSignal = () => {
      out.info('disconnecting…');
      runner.close();
      // A gateway that no longer answers must not keep us: the delete has a short budget anyway.
    };

    const bringUp = async (tc: TunnelConfig) => {
      if (!tc.virtualIp4) throw new Error('the gateway assigned no virtual IP');
      tun = await createTunDevice({
        name: 'tsunagi%d',
        mtu: DEFAULT_TUN_MTU,
        addresses: [`${tc.virtualIp4}/32`],
      });
      tun.onPackets(
        (packets) => dataPlane.outbound(packets),
        (e) => out.info(`TUN read failed: ${e.message}`),
      );
      const plan = planRoutes(tc.tsRemote, config.server.address);
      routes = await applyRoutes(plan, tun.name, tc.virtualIp4, config.server.address);
      await writeJournal({ pid: process.pid, tun: tun.name, routes: routes.added });
      if (profile.dns && tc.dns.length) {
        dns = await applyDns(tc.dns, tun.name);
        await writeJournal({
          pid: process.pid,
          tun: tun.name,
          routes: routes.added,
          ...(dns.kind === 'resolv-conf'
            ? { dns: { kind: 'resolv-conf', path: dns.path, original: dns.original } }
            : dns.kind === 'resolved'
              ? { dns: { kind: 'resolved', interface: dns.interface } }
              : {}),
        });
      }
      connected = true;
      out.state('connected', {
        server: profile.server,
        virtualIp: tc.virtualIp4,
        dns: tc.dns,
        ike: tc.ike,
        esp: tc.esp,
        tun: tun.name,
        routes: plan.tunnel,
      });
    };

    const runner = new IkeRunner(session, dataPlane, {
      timeline: (event, at) => out.event(at, event),
      established: (tc) => {
        bringUp(tc).catch((e: Error) => {
          out.info(`cannot bring the tunnel up: ${e.message}`);
          failure = { code: 'config-invalid', field: 'system', detail: e.message };
          runner.close();
        });
      },
      closed: (reason: IkeCloseReason) => {
        if (reason.kind === 'failed') return finish(fail(failure ?? reason.error));
        if (failure) return finish(fail(failure));
        out.state('disconnected', { reason: reason.kind, wasConnected: connected });
        finish(0);
      },
    });
    let failure: IkeError | undefined;

    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    openUdpTransport(
      config.local.address,
      [IKE_PORT, NATT_PORT],
      (d) => runner.onDatagram(d),
      (e) => out.info(`UDP error: ${e.message}`),
    )
      .then((t) => {
        transport = t;
        runner.attach(t);
        runner.start();
      })
      .catch((e: Error) =>
        finish(fail({ code: 'config-invalid', field: 'system', detail: e.message })),
      );
  });
}
