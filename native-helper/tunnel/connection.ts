/**
 * One VPN connection from a profile to "closed": resolves the profile, runs the IKE session over
 * UDP, brings up the TUN device, routes and DNS once established, and releases everything it
 * acquired (in reverse order) when the session closes. Between sessions it keeps the device:
 * it re-establishes after a failure, moves with the network (MOBIKE), and follows a gateway's
 * redirect (RFC 5685) to the next gateway. Used by `tsunagi connect` in the foreground and by
 * the helper daemon.
 */
import { IKE_PORT, NATT_PORT } from '../constants.js';
import { ikeErrorMessage, type IkeError } from '../ike/ike-error.js';
import { lookup } from 'node:dns/promises';
import type {
  Endpoint,
  IkeCloseReason,
  IkeTimelineEvent,
  TunnelConfig,
} from '../ike/ike-events.js';
import { IkeSession } from '../ike/ike-session.js';
import { IPV6_MIN_MTU, tcpMssFor } from '../esp/esp-overhead.js';
import type { IkeSessionConfig } from '../ike/ike-session-config.js';
import { nodeRandom } from '../platform/crypto/node-crypto-provider.js';
import { applyDns, type AppliedDns } from '../platform/dns/dns-linux.js';
import { planRoutes } from '../platform/routes/route-plan.js';
import {
  applyRoutes,
  pathMtuTo,
  setLinkMtu,
  type AppliedRoutes,
} from '../platform/routes/routes-linux.js';
import { createTunDevice, type TunDevice } from '../platform/tun/index.js';
import {
  localAddressFor,
  openUdpTransport,
  type UdpTransport,
} from '../platform/udp/udp-transport.js';
import { watchNetwork } from '../platform/network/network-monitor.js';
import type { Profile } from '../profile/profile.js';
import type { ProfileFiles } from '../profile/profile-files.js';
import { EspDataPlane, type DataPlaneStats } from './data-plane.js';
import { IkeRunner } from './ike-runner.js';
import { clearJournal, recoverFromJournal, writeJournal, type JournalEntry } from './journal.js';
import { diagnose, type DiagnosisContext } from './diagnosis.js';
import { ConfigError, resolveSessionConfig } from './session-config.js';

/** Failures after which a connection that was up tries again by itself. */
/**
 * Failures that end even a tunnel that was up: our own configuration is broken, so no retry can
 * help. Everything else the gateway says while we re-establish (NO_PROPOSAL_CHOSEN or
 * AUTHENTICATION_FAILED from a gateway whose configuration is still loading after a restart,
 * INTERNAL_ADDRESS_FAILURE while its pool comes back, silence) is retried within keyingTries, as
 * strongSwan's keyingtries does: credentials that worked a minute ago are worth another try, and
 * the state says why each attempt failed.
 */
const FATAL_AFTER_CONNECTED: ReadonlySet<IkeError['code']> = new Set([
  'config-invalid',
  'local-setup-failed',
]);
const RECONNECT_FIRST_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
const WAKE_TICK_MS = 2_000;
const WAKE_JUMP_MS = 10_000;
/** How long the network monitor's reports after our own setup (TUN, routes) are not news. */
const OWN_CHANGES_MS = 3_000;

/**
 * The TUN MTU on an ordinary 1500-byte path: ESP-in-UDP over IPv4 with any supported transform
 * leaves room for ≥ 1406-byte inner packets (AES-CBC + HMAC-SHA2-512), so 1400 also survives
 * some extra encapsulation (PPPoE, another tunnel) on the way. Smaller paths lower it.
 */
export const DEFAULT_TUN_MTU = 1400;
/** Below this IPv4 itself gets impractical (576 is every host's minimum reassembly size). */
const MIN_TUN_MTU = 576;

/**
 * The TUN MTU for what fits one ESP-in-UDP datagram (`fits`, from the data plane; unknown before
 * a Child SA: DEFAULT_TUN_MTU), at most DEFAULT_TUN_MTU and at least 576 — or the profile's
 * `override`; never below IPv6's 1280 when IPv6 runs inside.
 */
export function tunnelMtuFor(
  fits: number | undefined,
  ipv6Inside: boolean,
  override?: number,
): number {
  let mtu = override ?? Math.max(MIN_TUN_MTU, Math.min(DEFAULT_TUN_MTU, fits ?? DEFAULT_TUN_MTU));
  if (ipv6Inside && mtu < IPV6_MIN_MTU) mtu = IPV6_MIN_MTU;
  return mtu;
}

export type ConnectionState =
  | { state: 'connecting'; server: string; address: string; local: string }
  | {
      state: 'connected';
      server: string;
      virtualIp: string;
      /** The IPv6 address the gateway assigned, when it assigned one. */
      virtualIp6?: string;
      dns: string[];
      /**
       * The TUN MTU: the path MTU to the gateway minus the ESP-in-UDP overhead, at most 1400, or
       * the profile's `mtu`.
       */
      mtu: number;
      ike: string;
      esp: string;
      tun: string;
      routes: string[];
      since: number;
    }
  | { state: 'reconnecting'; attempt: number; reason: string; retryInMs: number }
  | { state: 'disconnected'; reason: IkeCloseReason['kind'] | 'not-started'; wasConnected: boolean }
  | { state: 'error'; code: IkeError['code']; message: string; fix: string; error: IkeError };

export interface TunnelOptions {
  /**
   * The gateway address the caller already resolved (the helper's firewall allows exactly this
   * one): the connection uses it instead of resolving the server name again.
   */
  gatewayAddress?: string;
  /** Outbound ESP sequence number that triggers an early Child SA rekey (default: the SA's). */
  softSequenceLimit?: number;
}

/** Milestones of the connection itself (not the IKE engine's), for the same timeline. */
export type ConnectionTimelineEvent =
  /**
   * The network monitor saw a change and we checked the path to the gateway: it still leaves
   * from the same address, it moved (and the tunnel follows with MOBIKE), or there is none now.
   */
  | { kind: 'network-changed'; path: 'unchanged'; local: string }
  | { kind: 'network-changed'; path: 'moved'; local: string; previous: string; mtu?: number }
  | { kind: 'network-changed'; path: 'none'; detail: string }
  /** The gateway stopped answering liveness checks (DPD) for that long. */
  | { kind: 'dpd-timeout'; afterMs: number };

export interface ConnectionEvents {
  state(state: ConnectionState): void;
  timeline(event: IkeTimelineEvent | ConnectionTimelineEvent, at: number): void;
  /** Human log lines (no secrets). */
  log(text: string): void;
  /**
   * The gateway redirected us (RFC 5685) to this address: resolve once packets may go there (the
   * helper's firewall allows it), reject if they may not. Nothing is sent to it before.
   * Without this hook (the foreground CLI) a redirect is followed at once.
   */
  redirect?(address: string): Promise<void>;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function errorState(
  error: IkeError,
  context?: DiagnosisContext,
): Extract<ConnectionState, { state: 'error' }> {
  const { message, fix } = diagnose(error, context);
  return { state: 'error', code: error.code, message, fix, error };
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
  private upWith: TunnelConfig | undefined;
  private connectedState: Extract<ConnectionState, { state: 'connected' }> | undefined;
  private stopRequested = false;
  private diagnosis: DiagnosisContext | undefined;
  /** The session configuration now (a redirect changes the gateway). */
  private config: IkeSessionConfig | undefined;
  /** Where ESP goes: the gateway's NAT-T port. */
  private espPeer: Endpoint | undefined;
  private journal: JournalEntry | undefined;
  /** What the TUN MTU was computed from (a move to another path recomputes it). */
  private mtuFrom: { pathMtu: number; mtu: number; ipv6Inside: boolean } | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly events: ConnectionEvents,
    /**
     * Where the certificate, key and CA contents come from: the profile's folder (a string, for
     * the foreground CLI running as the user), or the contents a client sent (the helper).
     */
    private readonly files: ProfileFiles | string = process.cwd(),
    private readonly options: TunnelOptions = {},
  ) {}

  /** Data-plane counters (zero before the tunnel is up). */
  stats(): DataPlaneStats {
    return (
      this.dataPlane?.stats() ?? { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: 0 }
    );
  }

  /** When the running IKE session rekeys its IKE SA and Child SA next (epoch ms; undefined: none armed). */
  rekeyDue(): { ike: number | undefined; child: number | undefined } {
    return { ike: this.runner?.timerAt('rekey-ike'), child: this.runner?.timerAt('rekey-child') };
  }

  /** TCP SYNs whose MSS the tunnel lowered so far. */
  clampedSyns(): number {
    return this.dataPlane?.clampedSyns ?? 0;
  }

  /** Asks for an orderly delete with the gateway; run() resolves once it is done. */
  stop(): void {
    this.stopRequested = true;
    this.runner?.close();
    this.wakeSleep?.();
  }

  /** Runs the connection to its end and resolves with the final state (disconnected or error). */
  async run(): Promise<Extract<ConnectionState, { state: 'disconnected' | 'error' }>> {
    const repaired = await recoverFromJournal();
    if (repaired)
      this.events.log(`repaired routes/DNS left by an earlier run (pid ${repaired.pid})`);

    let resolved;
    try {
      resolved = await resolveSessionConfig(this.profile, this.files, {
        ...(this.options.gatewayAddress !== undefined
          ? { gatewayAddress: this.options.gatewayAddress }
          : {}),
      });
    } catch (e) {
      if (e instanceof ConfigError) return this.end(errorState(e.error));
      throw e;
    }
    let config = resolved.config;
    this.config = config;
    const auth = this.profile.auth.method;
    this.diagnosis = {
      method: auth,
      server: this.profile.server,
      localId: config.localId.text,
      localIdFromProfile: this.profile.localId !== undefined,
      remoteId: config.remoteId?.text ?? this.profile.server,
      remoteIdFromProfile: this.profile.remoteId !== undefined,
    };
    this.events.state({
      state: 'connecting',
      server: this.profile.server,
      address: config.server.address,
      local: config.local.address,
    });
    if (this.stopRequested)
      return this.end({ state: 'disconnected', reason: 'not-started', wasConnected: false });

    this.espPeer = { address: config.server.address, port: NATT_PORT };
    this.dataPlane = new EspDataPlane(
      (datagrams) => this.transport?.sendMany(datagrams, NATT_PORT, this.espPeer!),
      (packets) => void this.tun?.write(packets),
      nodeRandom,
      {
        ...(this.options.softSequenceLimit !== undefined
          ? { softSequenceLimit: this.options.softSequenceLimit }
          : {}),
        replayWindow: this.profile.replayWindow,
        rekeyNeeded: (spiIn, reason) => {
          this.events.log(
            `ESP sequence numbers of Child SA ${spiIn.toString(16).padStart(8, '0')} near the limit: rekeying it early`,
          );
          this.runner?.rekeyChild(spiIn, reason);
        },
      },
    );
    try {
      this.transport = await openUdpTransport(
        config.local.address,
        [IKE_PORT, NATT_PORT],
        (d) => this.runner?.onDatagram(d),
        (e) => this.events.log(`UDP error: ${e.message}`),
      );
    } catch (e) {
      return this.end(errorState({ code: 'local-setup-failed', detail: (e as Error).message }));
    }
    const wake = this.watchForWake();
    const monitor = watchNetwork(
      () => void this.checkPath(),
      (e) => this.events.log(`roaming disabled: ${e.message}`),
    );
    try {
      for (let attempt = 0; ; attempt++) {
        const closed = await this.runSession(config);
        if (this.failure) return this.end(errorState(this.failure, this.diagnosis));
        if (closed.kind === 'deleted-by-us' || this.stopRequested)
          return this.end({
            state: 'disconnected',
            reason: closed.kind,
            wasConnected: this.connected,
          });
        let error: IkeError;
        if (closed.kind === 'redirected') {
          // not a failure: the next session goes to the new gateway at once
          const next = await this.followRedirect(config, closed);
          if (this.failure) return this.end(errorState(this.failure, this.diagnosis));
          if (!('error' in next)) {
            config = this.config = next;
            attempt--;
            continue;
          }
          error = next.error;
        } else if (closed.kind === 'failed') {
          error = closed.error;
          if (error.code === 'peer-unreachable' && error.stage === 'a liveness check')
            this.events.timeline({ kind: 'dpd-timeout', afterMs: error.afterMs }, Date.now());
        } else error = { code: 'peer-deleted', detail: 'the gateway deleted the IKE SA' };
        // Retries stay with the gateway we were redirected to (the firewall allows only that one
        // now), but are no redirect any more: no REDIRECTED_FROM (the loop protection stays).
        if (config.redirectedFrom) config = this.config = { ...config, redirectedFrom: undefined };
        // A tunnel that was up and lost its gateway comes back by itself (keyingTries, 0 = forever);
        // a first connection that fails reports why. Routes, DNS and the TUN stay in place meanwhile,
        // so traffic keeps going into the tunnel (and nowhere else) until it is back.
        const tries = this.profile.keyingTries;
        if (
          !this.connected ||
          FATAL_AFTER_CONNECTED.has(error.code) ||
          (tries > 0 && attempt + 1 >= tries)
        ) {
          if (closed.kind === 'deleted-by-peer' && !this.connected)
            return this.end({ state: 'disconnected', reason: closed.kind, wasConnected: false });
          return this.end(errorState(error, this.diagnosis));
        }
        const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 10));
        this.events.state({
          state: 'reconnecting',
          attempt: attempt + 1,
          reason: ikeErrorMessage(error),
          retryInMs: delay,
        });
        if (await this.sleepUnlessStopped(delay))
          return this.end({
            state: 'disconnected',
            reason: 'deleted-by-us',
            wasConnected: this.connected,
          });
      }
    } finally {
      clearInterval(wake);
      monitor.dispose();
    }
  }

  /**
   * Follows a redirect (RFC 5685): resolves a name (outside the engine), has the new address
   * allowed (the helper's firewall) before anything is sent to it, keeps it outside the tunnel's
   * routes, binds where the kernel reaches it from, and returns the next session's configuration
   * (REDIRECTED_FROM and the loop protection from the engine). A name that does not resolve is a
   * failed attempt like any other; once the firewall moved, a failure ends the connection.
   */
  private async followRedirect(
    config: IkeSessionConfig,
    closed: Extract<IkeCloseReason, { kind: 'redirected' }>,
  ): Promise<IkeSessionConfig | { error: IkeError }> {
    const name = closed.to.kind === 'fqdn' ? closed.to.name : closed.to.address;
    let address: string;
    if (closed.to.kind === 'fqdn') {
      try {
        address = (await lookup(closed.to.name)).address;
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        this.events.log(
          `cannot resolve ${closed.to.name}, where the gateway redirected us: ${why}`,
        );
        return {
          error: {
            code: 'peer-unreachable',
            server: closed.to.name,
            afterMs: 0,
            stage: `the redirect (${closed.to.name} does not resolve: ${why})`,
            fragmentationHint: false,
          },
        };
      }
    } else address = closed.to.address;
    this.events.log(
      `the gateway ${closed.from.address} redirected us to ${name}${name !== address ? ` (${address})` : ''} during ${closed.stage}`,
    );
    const server = { address, port: IKE_PORT };
    try {
      await this.events.redirect?.(address);
    } catch (e) {
      this.failure = {
        code: 'local-setup-failed',
        detail: `cannot follow the redirect to ${name}: ${(e as Error).message}`,
      };
      return { error: this.failure };
    }
    try {
      if (this.routes) {
        await this.routes.pin(address);
        if (this.journal) await writeJournal(this.journal);
      }
      const local = await localAddressFor(server);
      await this.moveTransport(local);
      this.espPeer = { address, port: NATT_PORT };
      this.ownChangesUntil = Date.now() + OWN_CHANGES_MS;
      return {
        ...config,
        server,
        local: { address: local, port: IKE_PORT },
        redirectedFrom: closed.from,
        redirects: closed.redirects,
      };
    } catch (e) {
      this.failure = {
        code: 'local-setup-failed',
        detail: `cannot reach ${name}, where the gateway redirected us: ${(e as Error).message}`,
      };
      return { error: this.failure };
    }
  }

  /** Binds the sockets to `address` (if not already there); the old ones close once replaced. */
  private async moveTransport(address: string): Promise<void> {
    const old = this.transport;
    if (old && old.localAddress === address) return;
    const next = await openUdpTransport(
      address,
      [IKE_PORT, NATT_PORT],
      (d) => this.runner?.onDatagram(d),
      (e) => this.events.log(`UDP error: ${e.message}`),
    );
    this.transport = next;
    this.runner?.attach(next);
    await old?.close().catch(() => undefined);
  }

  private checking = false;
  /** Until then, network changes are most likely our own (TUN, routes, sockets): not news. */
  private ownChangesUntil = 0;

  /**
   * After a network change: if the kernel now reaches the gateway from another local address,
   * bind there and move the SA (MOBIKE). The old sockets go once the new ones are in use.
   */
  private async checkPath(): Promise<void> {
    const config = this.config;
    if (this.checking || !this.transport || !config) return;
    this.checking = true;
    try {
      let address: string;
      try {
        address = await localAddressFor(config.server);
      } catch (e) {
        // no route at all right now: DPD and the next change will tell
        this.events.timeline(
          { kind: 'network-changed', path: 'none', detail: (e as Error).message },
          Date.now(),
        );
        return;
      }
      const old = this.transport;
      if (!old) return;
      if (address === old.localAddress) {
        if (Date.now() < this.ownChangesUntil) return;
        this.events.timeline(
          { kind: 'network-changed', path: 'unchanged', local: address },
          Date.now(),
        );
        return;
      }
      this.events.log(`the path to the gateway moved to ${address}`);
      const next = await openUdpTransport(
        address,
        [IKE_PORT, NATT_PORT],
        (d) => this.runner?.onDatagram(d),
        (e) => this.events.log(`UDP error: ${e.message}`),
      );
      this.transport = next;
      this.runner?.attach(next);
      this.runner?.roam({ address, port: NATT_PORT });
      await old.close().catch(() => undefined);
      const mtu = await this.mtuAfterMove(config.server.address);
      this.events.timeline(
        {
          kind: 'network-changed',
          path: 'moved',
          local: address,
          previous: old.localAddress,
          ...(mtu !== undefined ? { mtu } : {}),
        },
        Date.now(),
      );
    } catch (e) {
      this.events.log(`cannot move to the new path: ${(e as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  /** One IKE SA from IKE_SA_INIT to closed. */
  private runSession(config: IkeSessionConfig): Promise<IkeCloseReason> {
    // after a move, a new IKE SA starts from where we are now
    const local = this.transport
      ? { address: this.transport.localAddress, port: IKE_PORT }
      : config.local;
    const session = new IkeSession({ ...config, local });
    return new Promise<IkeCloseReason>((resolve) => {
      const runner = new IkeRunner(session, this.dataPlane!, {
        timeline: (event, at) => this.events.timeline(event, at),
        established: (tc) => {
          this.bringUp(tc, config.server.address).catch((e: Error) => {
            this.events.log(`cannot bring the tunnel up: ${e.message}`);
            this.failure = { code: 'local-setup-failed', detail: e.message };
            runner.close();
          });
        },
        closed: resolve,
      });
      this.runner = runner;
      runner.attach(this.transport!);
      runner.start();
      if (this.stopRequested) runner.close();
    });
  }

  private wakeSleep: (() => void) | undefined;

  /** Resolves true when stop() was called during the wait. */
  private sleepUnlessStopped(ms: number): Promise<boolean> {
    if (this.stopRequested) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeSleep = undefined;
        resolve(false);
      }, ms);
      this.wakeSleep = () => {
        clearTimeout(t);
        this.wakeSleep = undefined;
        resolve(true);
      };
    });
  }

  /**
   * Wake from sleep shows up as a jump of the wall clock between two ticks: probe the gateway at
   * once instead of waiting for DPD (MOBIKE or a reconnect follows if the path is gone).
   */
  private watchForWake(): NodeJS.Timeout {
    let last = Date.now();
    const t = setInterval(() => {
      const now = Date.now();
      if (now - last > WAKE_JUMP_MS) {
        this.events.log(
          `the clock jumped ${Math.round((now - last) / 1000)} s (sleep?): checking the gateway`,
        );
        this.runner?.probe();
      }
      last = now;
    }, WAKE_TICK_MS);
    t.unref();
    return t;
  }

  private async bringUp(tc: TunnelConfig, serverAddress: string): Promise<void> {
    if (!tc.virtualIp4) throw new Error('the gateway assigned no virtual IP');
    if (
      this.tun &&
      this.upWith?.virtualIp4 === tc.virtualIp4 &&
      this.upWith.virtualIp6 === tc.virtualIp6 &&
      sameList(this.upWith.dns, tc.dns)
    ) {
      // Reconnected with the same addresses: the device, routes and DNS are still right; only
      // the path may have another MTU (a new local address, or a redirect to another gateway).
      this.upWith = tc;
      await this.mtuAfterMove(serverAddress);
      this.events.state({ ...this.connectedState!, ike: tc.ike, esp: tc.esp, since: Date.now() });
      return;
    }
    // First time, or the gateway handed out something else: start from a clean slate.
    await this.dns?.dispose().catch(() => undefined);
    await this.routes?.dispose().catch(() => undefined);
    await this.tun?.close().catch(() => undefined);
    this.dns = this.routes = this.tun = this.journal = undefined;
    this.upWith = tc;
    const mtu = await this.tunnelMtu(serverAddress, tc.virtualIp6 !== undefined);
    this.dataPlane?.setMss({ v4: tcpMssFor(mtu, 4), v6: tcpMssFor(mtu, 6) });
    this.tun = await createTunDevice({
      name: 'tsunagi%d',
      mtu,
      addresses: [`${tc.virtualIp4}/32`, ...(tc.virtualIp6 ? [`${tc.virtualIp6}/128`] : [])],
    });
    const tun = this.tun;
    tun.onPackets(
      (packets) => this.dataPlane?.outbound(packets),
      (e) => this.events.log(`TUN read failed: ${e.message}`),
    );
    const plan = planRoutes(tc.tsRemote, serverAddress);
    this.routes = await applyRoutes(plan, tun.name, tc.virtualIp4, serverAddress, tc.virtualIp6);
    const journal: JournalEntry = { pid: process.pid, tun: tun.name, routes: this.routes.added };
    this.journal = journal;
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
    this.ownChangesUntil = Date.now() + OWN_CHANGES_MS;
    this.connectedState = {
      state: 'connected',
      server: this.profile.server,
      virtualIp: tc.virtualIp4,
      ...(tc.virtualIp6 ? { virtualIp6: tc.virtualIp6 } : {}),
      dns: tc.dns,
      ike: tc.ike,
      esp: tc.esp,
      tun: tun.name,
      mtu,
      routes: plan.tunnel,
      since: Date.now(),
    };
    this.events.state(this.connectedState);
  }

  /**
   * The TUN MTU: what fits one ESP-in-UDP datagram on the path to the gateway with the
   * negotiated transform, at most DEFAULT_TUN_MTU (and at least IPv6's 1280 when IPv6 runs
   * inside; a smaller path then fragments the outer datagrams rather than breaking IPv6).
   */
  private async tunnelMtu(serverAddress: string, ipv6Inside: boolean): Promise<number> {
    const override = this.profile.mtu;
    if (override !== undefined) {
      this.mtuFrom = undefined; // the profile's value stays, whatever the path
      const mtu = tunnelMtuFor(undefined, ipv6Inside, override);
      if (mtu !== override)
        this.events.log(`the profile's MTU ${override} is below IPv6's 1280: tunnel MTU ${mtu}`);
      return mtu;
    }
    let pathMtu: number;
    try {
      pathMtu = await pathMtuTo(serverAddress);
    } catch (e) {
      this.events.log(`cannot learn the path MTU (${(e as Error).message}): assuming 1500`);
      pathMtu = 1500;
    }
    const fits = this.dataPlane?.maxInnerLength(pathMtu, serverAddress.includes(':') ? 6 : 4);
    const mtu = tunnelMtuFor(fits, ipv6Inside);
    this.mtuFrom = { pathMtu, mtu, ipv6Inside };
    if (mtu !== DEFAULT_TUN_MTU)
      this.events.log(`path MTU to the gateway ${pathMtu}: tunnel MTU ${mtu}`);
    return mtu;
  }

  /**
   * After a MOBIKE move (or a new IKE SA on a kept device): if the path's MTU gives another tunnel MTU, applies it to the TUN
   * device and the MSS clamp and returns it (undefined when nothing changed, or the profile sets
   * the MTU).
   */
  private async mtuAfterMove(serverAddress: string): Promise<number | undefined> {
    const from = this.mtuFrom;
    const tun = this.tun;
    if (!from || !tun || !this.connectedState) return undefined;
    let pathMtu: number;
    try {
      pathMtu = await pathMtuTo(serverAddress);
    } catch {
      return undefined; // keep what we have; the next change checks again
    }
    if (pathMtu === from.pathMtu) return undefined;
    const fits = this.dataPlane?.maxInnerLength(pathMtu, serverAddress.includes(':') ? 6 : 4);
    const mtu = tunnelMtuFor(fits, from.ipv6Inside);
    this.mtuFrom = { ...from, pathMtu, mtu };
    if (mtu === from.mtu) return undefined;
    try {
      await setLinkMtu(tun.name, mtu);
    } catch (e) {
      this.events.log(`cannot set the tunnel MTU to ${mtu}: ${(e as Error).message}`);
      return undefined;
    }
    this.dataPlane?.setMss({ v4: tcpMssFor(mtu, 4), v6: tcpMssFor(mtu, 6) });
    this.connectedState = { ...this.connectedState, mtu };
    this.events.log(`path MTU to the gateway now ${pathMtu}: tunnel MTU ${from.mtu} → ${mtu}`);
    return mtu;
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
    this.dns = this.routes = this.tun = this.transport = this.journal = undefined;
    this.events.state(final);
    return final;
  }
}
