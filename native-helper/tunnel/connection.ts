/**
 * One VPN connection from a profile to "closed": resolves the profile, runs the IKE session over
 * UDP, brings up the TUN device, routes and DNS once established, and releases everything it
 * acquired (in reverse order) when the session closes. Between sessions it keeps the device:
 * it re-establishes after a failure, moves with the network (MOBIKE, or make-before-break: a new
 * IKE SA from the new path while the old one still carries traffic), and follows a gateway's
 * redirect (RFC 5685) to the next gateway. Used by `tsunagi connect` in the foreground and by
 * the helper daemon.
 *
 * The path to the gateway is always computed as if the tunnel were not there (pathOutsideTunnel):
 * with a full tunnel, the kernel drops our pinned host route with its link, and asking it then
 * would answer "through the TUN", binding IKE to our own virtual IP.
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
import {
  applyDns,
  readOrUndefined,
  RESOLV_CONF,
  type AppliedDns,
} from '../platform/dns/dns-linux.js';
import { planRoutes } from '../platform/routes/route-plan.js';
import {
  addTunnelAddress,
  applyRoutes,
  pathMtuTo,
  pathOutsideTunnel,
  removeTunnelAddress,
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
/**
 * Re-establishing a lost tunnel: the first attempts go back to back (each one already spaces its
 * IKE_SA_INIT retransmissions by the retransmission schedule, so the gateway is asked every
 * 0.5–4 s, as strongSwan's keyingtries do), so a gateway that is reachable again is found within
 * one retransmission interval; after that, pauses of 1 s doubling to 30 s between attempts.
 */
export const RECONNECT_IMMEDIATE_TRIES = 3;
export const RECONNECT_FIRST_MS = 1_000;
export const RECONNECT_MAX_MS = 30_000;

/** The pause before re-establishment attempt `failures + 1` (`failures` in a row so far). */
export function reconnectDelayMs(failures: number): number {
  if (failures < RECONNECT_IMMEDIATE_TRIES) return 0;
  return Math.min(
    RECONNECT_MAX_MS,
    RECONNECT_FIRST_MS * 2 ** Math.min(failures - RECONNECT_IMMEDIATE_TRIES, 10),
  );
}
/**
 * How long after a connection starts `ip monitor` starts: a connect is usually done by then
 * (20–60 ms), so the process start (3–5 ms of this thread) does not hold up the IKE exchange or
 * the set-up. Wakes are watched from the start; a path change in the first moments is found by
 * the retransmissions, as before the monitor runs.
 */
export const MONITOR_DELAY_MS = 250;
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
  /** When `ip monitor` starts after the connection does (default MONITOR_DELAY_MS). */
  monitorDelayMs?: number;
}

/** Milestones of the connection itself (not the IKE engine's), for the same timeline. */
export type ConnectionTimelineEvent =
  /**
   * The network monitor saw a change and we checked the path to the gateway: it still leaves
   * from the same address, it moved (and the tunnel follows with MOBIKE), or there is none now.
   */
  | { kind: 'network-changed'; path: 'unchanged'; local: string }
  | {
      kind: 'network-changed';
      path: 'moved';
      local: string;
      previous: string;
      /** How the tunnel follows: MOBIKE in place, a new IKE SA (make-before-break), or a session still negotiating that just sends from there. */
      via: 'mobike' | 'new-ike-sa' | 'negotiating';
      mtu?: number;
    }
  | { kind: 'network-changed'; path: 'none'; detail: string }
  /** The gateway stopped answering liveness checks (DPD) for that long. */
  | { kind: 'dpd-timeout'; afterMs: number }
  /**
   * The wall clock jumped (the machine or the process slept that long): the gateway is checked
   * at once, and a reconnect waiting for its backoff goes now.
   */
  | { kind: 'wake'; sleptMs: number }
  /**
   * Make-before-break: the gateway cannot move the IKE SA (no MOBIKE), so a new one is built
   * from `local` while the old one keeps carrying traffic ('started'); 'switched' once the
   * traffic moved to it (the old one is deleted then), 'failed' when it could not be built (the
   * old one stays, if it still works).
   */
  | { kind: 'reestablish'; phase: 'started'; local: string }
  | { kind: 'reestablish'; phase: 'switched'; local: string }
  | { kind: 'reestablish'; phase: 'failed'; local: string; reason: string };

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
  /** The UDP sockets the current IKE SA and ESP use. */
  private transport: UdpTransport | undefined;
  /** Every transport still open (the current one, a replacement's, a retiring SA's). */
  private readonly transports = new Set<UdpTransport>();
  /** Which IKE SA reads what arrives on a transport (IKE on old SPIs goes to the old SA). */
  private readonly owners = new Map<UdpTransport, IkeRunner>();
  private tun: TunDevice | undefined;
  private routes: AppliedRoutes | undefined;
  private dns: AppliedDns | undefined;
  /** The current IKE SA: ESP goes out with its Child SAs, its end ends the session. */
  private runner: IkeRunner | undefined;
  /** The current IKE SA once it is established (until then a reconnect attempt is in flight). */
  private upRunner: IkeRunner | undefined;
  /**
   * Make-before-break: the IKE SA being built from a new path while `runner` still carries the
   * traffic (a gateway without MOBIKE cannot move `runner`).
   */
  private replacement: { runner: IkeRunner; transport: UdpTransport } | undefined;
  /** The current IKE SA ended while its replacement was being built: the replacement decides. */
  private heldClose: IkeCloseReason | undefined;
  /** Ends the session run() waits for. */
  private sessionEnded: ((reason: IkeCloseReason) => void) | undefined;
  /** Whether the session run() waits for reached `established` (resets the retry count). */
  private sessionWasUp = false;
  /**
   * When the path to the gateway last moved or the machine woke: a session that fails after that
   * failed because of it, and the next attempt goes at once (no backoff).
   */
  private disruptedAt = 0;
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
    this.replacement?.runner.close();
    this.endSleep?.(true);
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
      remoteIdSent: this.profile.sendRemoteId,
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
      this.transport = await this.openTransport(config.local.address);
    } catch (e) {
      return this.end(errorState({ code: 'local-setup-failed', detail: (e as Error).message }));
    }
    // wakes are watched from now on; `ip monitor` starts a moment later (MONITOR_DELAY_MS)
    const monitor = watchNetwork(
      {
        change: () => void this.onNetworkChange(),
        wake: (sleptMs) => this.onWake(sleptMs),
        log: (text) => this.events.log(text),
      },
      { startDelayMs: this.options.monitorDelayMs ?? MONITOR_DELAY_MS },
    );
    try {
      // consecutive attempts that did not get the tunnel back (keyingTries counts these)
      let failures = 0;
      for (;;) {
        const sessionStartedAt = Date.now();
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
        // A tunnel that was up and lost its gateway comes back by itself (keyingTries attempts
        // in a row, 0 = forever); a first connection that fails reports why. Routes, DNS and the
        // TUN stay in place meanwhile, so traffic keeps going into the tunnel (and nowhere else)
        // until it is back.
        if (this.sessionWasUp) failures = 0;
        else failures++;
        const tries = this.profile.keyingTries;
        if (
          !this.connected ||
          FATAL_AFTER_CONNECTED.has(error.code) ||
          (tries > 0 && failures >= tries)
        ) {
          if (closed.kind === 'deleted-by-peer' && !this.connected)
            return this.end({ state: 'disconnected', reason: closed.kind, wasConnected: false });
          if (tries > 0 && failures >= tries)
            this.events.log(
              `giving up after ${failures} attempt${failures === 1 ? '' : 's'} to re-establish (keyingTries ${tries})`,
            );
          return this.end(errorState(error, this.diagnosis));
        }
        // The path moved under this session (a MOBIKE update that failed, a move the gateway
        // could not follow) or the machine woke (the gateway forgot us meanwhile): no reason to
        // wait, try at once.
        const delay =
          this.disruptedAt >= sessionStartedAt && failures === 0 ? 0 : reconnectDelayMs(failures);
        this.events.state({
          state: 'reconnecting',
          attempt: failures + 1,
          reason: ikeErrorMessage(error),
          retryInMs: delay,
        });
        if (delay > 0 && (await this.sleepUnlessStopped(delay)))
          return this.end({
            state: 'disconnected',
            reason: 'deleted-by-us',
            wasConnected: this.connected,
          });
        if (this.stopRequested)
          return this.end({
            state: 'disconnected',
            reason: 'deleted-by-us',
            wasConnected: this.connected,
          });
        // the next attempt leaves from where the gateway is reachable now
        await this.followPath(config.server);
      }
    } finally {
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
      const local = (await this.pathTo(server)).source;
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

  /** UDP 500 and 4500 on `address`; what arrives goes to the IKE SA that owns the transport. */
  private async openTransport(address: string): Promise<UdpTransport> {
    const transport: UdpTransport = await openUdpTransport(
      address,
      [IKE_PORT, NATT_PORT],
      (d) => (this.owners.get(transport) ?? this.runner)?.onDatagram(d),
      (e) => this.events.log(`UDP error: ${e.message}`),
    );
    this.transports.add(transport);
    return transport;
  }

  private async closeTransport(transport: UdpTransport): Promise<void> {
    this.owners.delete(transport);
    if (!this.transports.delete(transport)) return;
    await transport.close().catch(() => undefined);
  }

  /** Binds the sockets to `address` (if not already there); the old ones close once replaced. */
  private async moveTransport(address: string): Promise<void> {
    const old = this.transport;
    if (old && old.localAddress === address) return;
    const next = await this.openTransport(address);
    this.transport = next;
    if (this.runner) {
      this.owners.set(next, this.runner);
      this.runner.attach(next);
    }
    if (old) await this.closeTransport(old);
  }

  /**
   * Where IKE and ESP to the gateway leave from now, ignoring our own tunnel's routes (and our
   * own pin of the gateway, so a better uplink is seen). Before the TUN exists the kernel's
   * answer is already right.
   */
  private async pathTo(server: Endpoint): Promise<{ source: string; path?: string[] }> {
    if (!this.tun) return { source: await localAddressFor(server) };
    return pathOutsideTunnel(server.address, this.tun.name, this.routes?.added ?? []);
  }

  /**
   * Before a reconnect attempt: binds where the gateway is reachable from now, and keeps the
   * gateway's pin on that path (the monitor may have missed the change, or been restarting).
   */
  private async followPath(server: Endpoint): Promise<void> {
    try {
      const path = await this.pathTo(server);
      await this.repin(server.address, path.path);
      if (this.transport?.localAddress !== path.source) {
        this.events.log(`reconnecting from ${path.source}, where the gateway is reachable now`);
        await this.moveTransport(path.source);
      }
    } catch (e) {
      this.events.log(`no path to the gateway right now: ${(e as Error).message}`);
    }
  }

  /**
   * Keeps the gateway's host route (full tunnel) on `path`; the journal follows. Returns whether
   * it had to move (the route to the gateway changed under us).
   */
  private async repin(address: string, path: readonly string[] | undefined): Promise<boolean> {
    if (!this.routes || !path) return false;
    try {
      if (await this.routes.repin(address, path)) {
        this.ownChangesUntil = Date.now() + OWN_CHANGES_MS;
        this.events.log(
          `the gateway ${address} is now kept outside the tunnel via ${path.join(' ')}`,
        );
        if (this.journal) await writeJournal(this.journal);
        return true;
      }
    } catch (e) {
      this.events.log(`cannot keep the gateway's route on the new path: ${(e as Error).message}`);
    }
    return false;
  }

  private checking = false;
  private checkAgain = false;
  /** Until then, network changes are most likely our own (TUN, routes, sockets): not news. */
  private ownChangesUntil = 0;

  /** The network monitor saw a change: check the path, and cut a reconnect's wait short. */
  private async onNetworkChange(): Promise<void> {
    if (Date.now() >= this.ownChangesUntil) this.endSleep?.(false);
    await this.checkPath();
  }

  /** Woke from sleep: check the gateway at once instead of waiting for DPD. */
  private onWake(sleptMs: number): void {
    this.events.log(
      `the clock jumped ${Math.round(sleptMs / 1000)} s (sleep?): checking the gateway`,
    );
    this.events.timeline({ kind: 'wake', sleptMs }, Date.now());
    this.disruptedAt = Date.now();
    this.endSleep?.(false);
    this.runner?.probe();
    void this.checkPath();
  }

  /**
   * After a network change: if the gateway is now reached from another local address, bind there
   * and move the SA (MOBIKE), or build a new IKE SA there while the old one still carries the
   * traffic (make-before-break). If the path is unchanged, check that it still works (a liveness
   * check on the current path). A change reported while checking is checked again after.
   */
  private async checkPath(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        await this.checkPathOnce();
      } while (this.checkAgain && !this.stopRequested);
    } finally {
      this.checking = false;
    }
  }

  private async checkPathOnce(): Promise<void> {
    const config = this.config;
    if (!this.transport || !config || this.stopRequested) return;
    const quiet = Date.now() < this.ownChangesUntil;
    try {
      let path: { source: string; path?: string[] };
      try {
        path = await this.pathTo(config.server);
      } catch (e) {
        // no route at all right now: DPD and the next change will tell
        this.events.timeline(
          { kind: 'network-changed', path: 'none', detail: (e as Error).message },
          Date.now(),
        );
        return;
      }
      // first keep the gateway outside the tunnel (the kernel dropped a pin whose link went down)
      const repinned = await this.repin(config.server.address, path.path);
      const address = path.source;
      const old = this.transport;
      if (!old) return;
      const replacing = this.replacement;
      if (address === old.localAddress) {
        if (replacing) {
          // back where we were: the current SA's path works again (the check says so)
          this.abandonReplacement();
          this.runner?.probe();
          return;
        }
        if (quiet && !repinned) return;
        this.events.timeline(
          { kind: 'network-changed', path: 'unchanged', local: address },
          Date.now(),
        );
        // the route under us changed (next hop, link): make sure the gateway still answers
        this.runner?.probe();
        return;
      }
      if (replacing?.transport.localAddress === address) return; // already on its way
      this.events.log(`the path to the gateway moved to ${address}`);
      this.disruptedAt = Date.now();
      const runner = this.runner;
      const up = runner !== undefined && runner === this.upRunner;
      const mobike = this.profile.mobike && this.upWith?.peerSupportsMobike === true;
      const via = up && !mobike && this.connected ? 'new-ike-sa' : up ? 'mobike' : 'negotiating';
      if (via === 'new-ike-sa') {
        this.abandonReplacement();
        this.replaceSession(config, await this.openTransport(address));
      } else {
        // MOBIKE moves the SA in place (a session still negotiating just sends from there now)
        const next = await this.openTransport(address);
        this.transport = next;
        if (runner) {
          this.owners.set(next, runner);
          runner.attach(next);
          runner.roam({ address, port: NATT_PORT });
        }
        await this.closeTransport(old);
      }
      const mtu = await this.mtuAfterMove(config.server.address);
      this.events.timeline(
        {
          kind: 'network-changed',
          path: 'moved',
          local: address,
          previous: old.localAddress,
          via,
          ...(mtu !== undefined ? { mtu } : {}),
        },
        Date.now(),
      );
    } catch (e) {
      this.events.log(`cannot move to the new path: ${(e as Error).message}`);
    }
  }

  /** One IKE SA from IKE_SA_INIT to closed (or the SA that replaced it, make-before-break). */
  private runSession(config: IkeSessionConfig): Promise<IkeCloseReason> {
    return new Promise<IkeCloseReason>((resolve) => {
      this.sessionEnded = resolve;
      this.sessionWasUp = false;
      this.heldClose = undefined;
      // after a move, a new IKE SA starts from where we are now
      const runner = this.createRunner(config, this.transport!);
      this.runner = runner;
      runner.start();
      if (this.stopRequested) runner.close();
    });
  }

  private createRunner(config: IkeSessionConfig, transport: UdpTransport): IkeRunner {
    const session = new IkeSession({
      ...config,
      local: { address: transport.localAddress, port: IKE_PORT },
    });
    const runner: IkeRunner = new IkeRunner(session, this.dataPlane!, {
      timeline: (event, at) => this.events.timeline(event, at),
      established: (tc) => this.onEstablished(runner, tc, config),
      closed: (reason) => this.onRunnerClosed(runner, reason),
    });
    this.owners.set(transport, runner);
    runner.attach(transport);
    return runner;
  }

  private onEstablished(runner: IkeRunner, tc: TunnelConfig, config: IkeSessionConfig): void {
    if (runner === this.replacement?.runner) this.promoteReplacement();
    if (runner !== this.runner) return;
    this.upRunner = runner;
    this.sessionWasUp = true;
    this.bringUp(tc, config.server.address).catch((e: Error) => {
      this.events.log(`cannot bring the tunnel up: ${e.message}`);
      this.failure = { code: 'local-setup-failed', detail: e.message };
      runner.close();
    });
  }

  private onRunnerClosed(runner: IkeRunner, reason: IkeCloseReason): void {
    if (runner === this.runner) {
      if (this.replacement && !this.stopRequested) {
        // the old SA is gone (its path is dead, most likely): the replacement decides now
        this.heldClose = reason;
        return;
      }
      const end = this.sessionEnded;
      this.sessionEnded = undefined;
      end?.(reason);
      return;
    }
    if (runner === this.replacement?.runner) {
      const { transport } = this.replacement;
      this.replacement = undefined;
      void this.closeTransport(transport);
      const why =
        reason.kind === 'failed' ? ikeErrorMessage(reason.error) : reason.kind.replace(/-/g, ' ');
      this.events.timeline(
        { kind: 'reestablish', phase: 'failed', local: transport.localAddress, reason: why },
        Date.now(),
      );
      if (this.heldClose || !this.runner || this.runner.isClosed) {
        // nothing left that carries traffic: the session ends with what failed last
        const end = this.sessionEnded;
        this.sessionEnded = undefined;
        end?.(reason.kind === 'deleted-by-us' && this.heldClose ? this.heldClose : reason);
        return;
      }
      if (this.stopRequested) return; // the current SA's delete ends the session
      this.events.log(
        `the new IKE SA from ${transport.localAddress} failed (${why}): the current one stays, checking it`,
      );
      this.runner.probe();
      return;
    }
    // a replaced (or abandoned) SA finished its delete: its sockets go
    this.closeTransportsOf(runner);
  }

  private closeTransportsOf(runner: IkeRunner): void {
    for (const [t, owner] of this.owners)
      if (owner === runner && t !== this.transport && t !== this.replacement?.transport)
        void this.closeTransport(t);
  }

  /**
   * Make-before-break (the gateway cannot move the SA): a new IKE SA from `transport` while the
   * current one keeps carrying traffic; the data plane switches once the new one is up.
   */
  private replaceSession(config: IkeSessionConfig, transport: UdpTransport): void {
    this.events.log(
      `the gateway cannot move this IKE SA (no MOBIKE): building a new one from ${transport.localAddress} while the old one carries the traffic`,
    );
    this.events.timeline(
      { kind: 'reestablish', phase: 'started', local: transport.localAddress },
      Date.now(),
    );
    const runner = this.createRunner(config, transport);
    this.replacement = { runner, transport };
    runner.start();
  }

  /** Stops building a replacement that is no longer wanted (its sockets close with it). */
  private abandonReplacement(): void {
    const r = this.replacement;
    if (!r) return;
    this.replacement = undefined;
    r.runner.close();
    if (r.runner.isClosed) this.closeTransportsOf(r.runner);
  }

  /**
   * The replacement is established (its Child SA is installed: the newest outbound SA wins in the
   * data plane): ESP leaves from its path from now on, and the old IKE SA is deleted over its own
   * path (its Child SAs go with it; their inbound side lingers for packets in flight).
   */
  private promoteReplacement(): void {
    const r = this.replacement!;
    this.replacement = undefined;
    const old = this.runner;
    this.runner = r.runner;
    this.transport = r.transport;
    this.heldClose = undefined;
    this.events.timeline(
      { kind: 'reestablish', phase: 'switched', local: r.transport.localAddress },
      Date.now(),
    );
    if (!old) return;
    old.close();
    if (old.isClosed) this.closeTransportsOf(old);
  }

  /** Ends a reconnect's wait early: `true` when stopping. */
  private endSleep: ((stopped: boolean) => void) | undefined;

  /**
   * Resolves true when stop() was called during the wait; false when the time is up, or earlier
   * when the network changed or the machine woke (the gateway may be reachable now).
   */
  private sleepUnlessStopped(ms: number): Promise<boolean> {
    if (this.stopRequested) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (stopped: boolean) => {
        clearTimeout(t);
        this.endSleep = undefined;
        resolve(stopped);
      };
      const t = setTimeout(() => done(false), ms);
      this.endSleep = done;
    });
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
    if (
      this.tun &&
      this.routes &&
      this.upWith &&
      this.connectedState &&
      sameList(this.upWith.dns, tc.dns) &&
      (this.upWith.virtualIp6 === undefined) === (tc.virtualIp6 === undefined)
    ) {
      // Another virtual IP from the new IKE SA (strongSwan hands a new SA from another address a
      // new lease while the old SA holds the old one): move the device and its routes to it in
      // place, so the tunnel never stops routing (no teardown, nothing around it meanwhile).
      const before = this.upWith;
      const tun = this.tun;
      const addresses = (c: TunnelConfig) => [
        `${c.virtualIp4}/32`,
        ...(c.virtualIp6 ? [`${c.virtualIp6}/128`] : []),
      ];
      const gone = addresses(before).filter((a) => !addresses(tc).includes(a));
      for (const a of addresses(tc).filter((x) => !addresses(before).includes(x)))
        await addTunnelAddress(tun.name, a);
      await this.routes.resource(tc.virtualIp4, tc.virtualIp6);
      for (const a of gone) await removeTunnelAddress(tun.name, a).catch(() => undefined);
      this.upWith = tc;
      this.ownChangesUntil = Date.now() + OWN_CHANGES_MS;
      this.events.log(
        `the new IKE SA brought another virtual IP: ${before.virtualIp4} → ${tc.virtualIp4}`,
      );
      await this.mtuAfterMove(serverAddress);
      this.connectedState = {
        ...this.connectedState,
        virtualIp: tc.virtualIp4,
        ...(tc.virtualIp6 ? { virtualIp6: tc.virtualIp6 } : {}),
        ike: tc.ike,
        esp: tc.esp,
        since: Date.now(),
      };
      this.events.state(this.connectedState);
      return;
    }
    // First time, or the gateway handed out something else: start from a clean slate.
    await this.dns?.dispose().catch(() => undefined);
    await this.routes?.dispose().catch(() => undefined);
    await this.tun?.close().catch(() => undefined);
    this.dns = this.routes = this.tun = this.journal = undefined;
    this.upWith = tc;
    // how long each step took, for the log (connect time is what users notice first)
    const marks = [performance.now()];
    const mtu = await this.tunnelMtu(serverAddress, tc.virtualIp6 !== undefined);
    marks.push(performance.now());
    this.dataPlane?.setMss({ v4: tcpMssFor(mtu, 4), v6: tcpMssFor(mtu, 6) });
    this.tun = await createTunDevice({
      name: 'tsunagi%d',
      mtu,
      addresses: [`${tc.virtualIp4}/32`, ...(tc.virtualIp6 ? [`${tc.virtualIp6}/128`] : [])],
    });
    marks.push(performance.now());
    const tun = this.tun;
    tun.onPackets(
      (packets) => this.dataPlane?.outbound(packets),
      (e) => this.events.log(`TUN read failed: ${e.message}`),
    );
    const plan = planRoutes(tc.tsRemote, serverAddress);
    // The journal always says how to undo what may already be done: each route is recorded
    // before it is added, the original resolv.conf before it is replaced (a kill in between
    // leaves nothing the next start cannot undo).
    const journal: JournalEntry = { pid: process.pid, tun: tun.name, routes: [] };
    this.journal = journal;
    this.routes = await applyRoutes(
      plan,
      tun.name,
      tc.virtualIp4,
      serverAddress,
      tc.virtualIp6,
      async (routes) => {
        journal.routes = routes.map((r) => [...r]);
        await writeJournal(journal);
      },
    );
    journal.routes = this.routes.added;
    await writeJournal(journal);
    marks.push(performance.now());
    if (this.profile.dns && tc.dns.length) {
      // restoring only ever writes over our own file, so this is safe with resolved too
      journal.dns = {
        kind: 'resolv-conf',
        path: RESOLV_CONF,
        original: readOrUndefined(RESOLV_CONF) ?? '',
      };
      await writeJournal(journal);
      this.dns = await applyDns(tc.dns, tun.name);
      if (this.dns.kind === 'resolv-conf')
        journal.dns = { kind: 'resolv-conf', path: this.dns.path, original: this.dns.original };
      if (this.dns.kind === 'resolved')
        journal.dns = { kind: 'resolved', interface: this.dns.interface };
      if (this.dns.kind === 'none') delete journal.dns;
      await writeJournal(journal);
    }
    marks.push(performance.now());
    const step = (i: number) => (marks[i]! - marks[i - 1]!).toFixed(1);
    this.events.log(
      `tunnel set up in ${(marks[4]! - marks[0]!).toFixed(1)} ms (path MTU ${step(1)}, TUN ${step(2)}, routes ${step(3)}, DNS ${step(4)} ms)`,
    );
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
    // an old IKE SA still finishing its delete over a dead path stops here, with its sockets
    for (const runner of this.owners.values()) runner.dispose();
    for (const t of this.transports) await t.close().catch(() => undefined);
    this.transports.clear();
    this.owners.clear();
    if (this.routes || this.dns || this.journal) await clearJournal().catch(() => undefined);
    this.dns = this.routes = this.tun = this.transport = this.journal = undefined;
    this.events.state(final);
    return final;
  }
}
