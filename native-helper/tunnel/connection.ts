/**
 * One VPN connection from a profile to "closed": resolves the profile, runs the IKE session over
 * UDP, brings up the TUN device, routes and DNS once established, and releases everything it
 * acquired (in reverse order) when the session closes. Used by `tsunagi connect` in the
 * foreground and by the helper daemon.
 */
import { IKE_PORT, NATT_PORT } from '../constants.js';
import { ikeErrorFix, ikeErrorMessage, type IkeError } from '../ike/ike-error.js';
import type { IkeCloseReason, IkeTimelineEvent, TunnelConfig } from '../ike/ike-events.js';
import { IkeSession } from '../ike/ike-session.js';
import { nodeRandom } from '../platform/crypto/node-crypto-provider.js';
import { applyDns, type AppliedDns } from '../platform/dns/dns-linux.js';
import { planRoutes } from '../platform/routes/route-plan.js';
import { applyRoutes, type AppliedRoutes } from '../platform/routes/routes-linux.js';
import { createTunDevice, type TunDevice } from '../platform/tun/index.js';
import { openUdpTransport, type UdpTransport } from '../platform/udp/udp-transport.js';
import type { Profile } from '../profile/profile.js';
import { EspDataPlane, type DataPlaneStats } from './data-plane.js';
import { IkeRunner } from './ike-runner.js';
import { clearJournal, recoverFromJournal, writeJournal, type JournalEntry } from './journal.js';
import { ConfigError, resolveSessionConfig } from './session-config.js';

/** ESP-in-UDP overhead on a 1500-byte path (IPv4 20 + UDP 8 + ESP ≤ 60 with CBC): a safe MTU. */
export const DEFAULT_TUN_MTU = 1400;

export type ConnectionState =
  | { state: 'connecting'; server: string; address: string; local: string }
  | {
      state: 'connected';
      server: string;
      virtualIp: string;
      dns: string[];
      ike: string;
      esp: string;
      tun: string;
      routes: string[];
      since: number;
    }
  | { state: 'disconnected'; reason: IkeCloseReason['kind'] | 'not-started'; wasConnected: boolean }
  | { state: 'error'; code: IkeError['code']; message: string; fix: string; error: IkeError };

export interface ConnectionEvents {
  state(state: ConnectionState): void;
  timeline(event: IkeTimelineEvent, at: number): void;
  /** Human log lines (no secrets). */
  log(text: string): void;
}

function errorState(error: IkeError): Extract<ConnectionState, { state: 'error' }> {
  return {
    state: 'error',
    code: error.code,
    message: ikeErrorMessage(error),
    fix: ikeErrorFix(error),
    error,
  };
}

export class TunnelConnection {
  private transport: UdpTransport | undefined;
  private tun: TunDevice | undefined;
  private routes: AppliedRoutes | undefined;
  private dns: AppliedDns | undefined;
  private runner: IkeRunner | undefined;
  private dataPlane: EspDataPlane | undefined;
  private failure: IkeError | undefined;
  private connected = false;
  private stopRequested = false;

  constructor(
    private readonly profile: Profile,
    private readonly events: ConnectionEvents,
    /** The profile's folder: certificate, key and CA paths are relative to it. */
    private readonly baseDir: string = process.cwd(),
  ) {}

  /** Data-plane counters (zero before the tunnel is up). */
  stats(): DataPlaneStats {
    return (
      this.dataPlane?.stats() ?? { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: 0 }
    );
  }

  /** Asks for an orderly delete with the gateway; run() resolves once it is done. */
  stop(): void {
    this.stopRequested = true;
    this.runner?.close();
  }

  /** Runs the connection to its end and resolves with the final state (disconnected or error). */
  async run(): Promise<Extract<ConnectionState, { state: 'disconnected' | 'error' }>> {
    const repaired = await recoverFromJournal();
    if (repaired)
      this.events.log(`repaired routes/DNS left by an earlier run (pid ${repaired.pid})`);

    let resolved;
    try {
      resolved = await resolveSessionConfig(this.profile, this.baseDir);
    } catch (e) {
      if (e instanceof ConfigError) return this.end(errorState(e.error));
      throw e;
    }
    const { config } = resolved;
    this.events.state({
      state: 'connecting',
      server: this.profile.server,
      address: config.server.address,
      local: config.local.address,
    });
    if (this.stopRequested)
      return this.end({ state: 'disconnected', reason: 'not-started', wasConnected: false });

    const server4500 = { address: config.server.address, port: NATT_PORT };
    const dataPlane = new EspDataPlane(
      (datagrams) => this.transport?.sendMany(datagrams, NATT_PORT, server4500),
      (packets) => void this.tun?.write(packets),
      nodeRandom,
    );
    this.dataPlane = dataPlane;
    const session = new IkeSession(config);

    const closed = new Promise<IkeCloseReason>((resolve) => {
      this.runner = new IkeRunner(session, dataPlane, {
        timeline: (event, at) => this.events.timeline(event, at),
        established: (tc) => {
          this.bringUp(tc, config.server.address).catch((e: Error) => {
            this.events.log(`cannot bring the tunnel up: ${e.message}`);
            this.failure = { code: 'config-invalid', field: 'system', detail: e.message };
            this.runner?.close();
          });
        },
        closed: resolve,
      });
    });
    try {
      this.transport = await openUdpTransport(
        config.local.address,
        [IKE_PORT, NATT_PORT],
        (d) => this.runner?.onDatagram(d),
        (e) => this.events.log(`UDP error: ${e.message}`),
      );
    } catch (e) {
      return this.end(
        errorState({ code: 'config-invalid', field: 'system', detail: (e as Error).message }),
      );
    }
    this.runner!.attach(this.transport);
    this.runner!.start();
    if (this.stopRequested) this.runner!.close();

    const reason = await closed;
    if (reason.kind === 'failed' || this.failure)
      return this.end(errorState(this.failure ?? (reason as { error: IkeError }).error));
    return this.end({ state: 'disconnected', reason: reason.kind, wasConnected: this.connected });
  }

  private async bringUp(tc: TunnelConfig, serverAddress: string): Promise<void> {
    if (!tc.virtualIp4) throw new Error('the gateway assigned no virtual IP');
    this.tun = await createTunDevice({
      name: 'tsunagi%d',
      mtu: DEFAULT_TUN_MTU,
      addresses: [`${tc.virtualIp4}/32`],
    });
    const tun = this.tun;
    tun.onPackets(
      (packets) => this.dataPlane?.outbound(packets),
      (e) => this.events.log(`TUN read failed: ${e.message}`),
    );
    const plan = planRoutes(tc.tsRemote, serverAddress);
    this.routes = await applyRoutes(plan, tun.name, tc.virtualIp4, serverAddress);
    const journal: JournalEntry = { pid: process.pid, tun: tun.name, routes: this.routes.added };
    await writeJournal(journal);
    if (this.profile.dns && tc.dns.length) {
      this.dns = await applyDns(tc.dns, tun.name);
      if (this.dns.kind === 'resolv-conf')
        journal.dns = { kind: 'resolv-conf', path: this.dns.path, original: this.dns.original };
      if (this.dns.kind === 'resolved')
        journal.dns = { kind: 'resolved', interface: this.dns.interface };
      await writeJournal(journal);
    }
    this.connected = true;
    this.events.state({
      state: 'connected',
      server: this.profile.server,
      virtualIp: tc.virtualIp4,
      dns: tc.dns,
      ike: tc.ike,
      esp: tc.esp,
      tun: tun.name,
      routes: plan.tunnel,
      since: Date.now(),
    });
  }

  /** Releases everything, in reverse order of acquisition, then reports the final state. */
  private async end<S extends Extract<ConnectionState, { state: 'disconnected' | 'error' }>>(
    final: S,
  ): Promise<S> {
    await this.dns?.dispose().catch(() => undefined);
    await this.routes?.dispose().catch(() => undefined);
    await this.tun?.close().catch(() => undefined);
    await this.transport?.close().catch(() => undefined);
    if (this.routes || this.dns) await clearJournal().catch(() => undefined);
    this.dns = this.routes = this.tun = this.transport = undefined;
    this.events.state(final);
    return final;
  }
}
