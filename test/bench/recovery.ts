/**
 * Recovery benchmarks (issue 8 §4, issue 5's figures), ours and strongSwan's own initiator (charon
 * with kernel-libipsec in the client namespace) on one bed with two client uplinks, one after the
 * other in each pair. Each side runs the same sequence on one connection:
 *
 *   1. MOBIKE: ping 100/s; after 1 s the first uplink goes down (link down on both ends; the
 *      default route moves to the second). Gap = the longest time without an echo reply around
 *      the move (arrival times of the replies); the gateway must show the new address.
 *   2. DPD + restart: ping 20/s; the gateway is SIGKILLed (it sends nothing more, no DELETE).
 *      Detection = the last inbound packet (the kill, or an echo reply still in flight after
 *      it) → our `reconnecting` line / the reference's IKE SA gone (VICI list-sas
 *      polled every 50 ms). Both use DPD 2 s and retransmits 0.5 s × 1.5^n, 2 tries. At kill +
 *      DPD + budget + 2 s the gateway starts again, with IKE dropped in its namespace until its
 *      connections are loaded; reconnect = that drop lifted ("reachable again") → the first echo
 *      reply through the new SAs.
 *   3. Rekey: the restarted gateway rekeys the Child SA every few seconds (rand_time 0); ping
 *      100/s over a window; lost pings / Child rekeys (rekeys counted on the gateway: distinct
 *      inbound SPIs of the Child SA, list-sas polled every 250 ms).
 */
import { Pinger } from '../interop/support/pinger.js';
import type { LabPki } from '../interop/support/pki.js';
import { startReferenceClient, type ReferenceClient } from '../interop/support/reference-client.js';
import type { Gateway, GatewayConnection } from '../interop/support/strongswan.js';
import { ADDR, type Testbed } from '../interop/support/testbed.js';
import { IKE_PROPOSAL, ESP_PROPOSAL, sleep, TsunagiProcess, writePskProfile } from './lib.js';

export const DPD_DELAY_SEC = 2;
export const RETRANSMIT = { timeout: 0.5, base: 1.5, tries: 2 } as const;
/** DPD delay + the whole retransmission schedule (the give-up point), ms. */
export const DPD_BUDGET_MS =
  DPD_DELAY_SEC * 1000 +
  Array.from(
    { length: RETRANSMIT.tries + 1 },
    (_, i) => RETRANSMIT.timeout * 1000 * RETRANSMIT.base ** i,
  ).reduce((a, b) => a + b, 0);

/** Time allowed between the give-up point and the report reaching the bench (a state line, a VICI poll answer). */
export const DPD_REPORT_ALLOWANCE_MS = 20;

export interface RecoveryOptions {
  /** Seconds of 100/s ping around the uplink change (the move happens after 1 s). */
  mobikeWindowSec: number;
  /** The gateway's Child SA rekey interval during step 3, and the ping window. */
  childRekeySec: number;
  rekeyWindowSec: number;
}

export interface RecoverySide {
  mobikeGapMs: number;
  mobikeLost: number;
  dpdDetectMs: number;
  restartRecoverMs: number;
  rekeys: number;
  rekeyLost: number;
  rekeySent: number;
  /** Ours only: child-rekeyed events (initiator peer) in our timeline, as a cross-check. */
  rekeyEvents?: number;
}

/** The normal gateway connection, and the one with a quick Child rekey for step 3. */
const NORMAL: GatewayConnection[] = [{ name: 'psk', auth: 'psk' }];
function rekeying(o: RecoveryOptions): GatewayConnection[] {
  return [
    {
      name: 'psk',
      auth: 'psk',
      childRekeySec: o.childRekeySec,
      childLifeSec: o.childRekeySec * 2,
      randSec: 0,
    },
  ];
}

interface Driver {
  label: string;
  /** The last lines of the client's own output or log, for a failure message. */
  tail(): string;
  connect(): Promise<void>;
  /** Resolves with performance.now() when the client has declared the gateway dead. */
  deadPeer(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
  /** Remembers what "the current SA" is before the gateway is killed. */
  mark(): Promise<void>;
  rekeyEvents?(): number;
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms: number) {
  const start = performance.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (performance.now() - start > ms) throw new Error(`no ${what} within ${ms} ms`);
    await sleep(20);
  }
}

function oursDriver(bed: Testbed): Driver {
  const profile = writePskProfile(bed, {
    dpdDelay: DPD_DELAY_SEC,
    retransmit: { ...RETRANSMIT },
    keyingTries: 0,
    mobike: true,
  });
  let c: TsunagiProcess | undefined;
  let last: TsunagiProcess | undefined;
  let markAt = 0;
  return {
    label: 'ours',
    tail: () => (last?.text ?? []).slice(-8).join('\n'),
    async connect() {
      c = new TsunagiProcess(bed, profile, { json: true });
      last = c;
      const up = await c.state(['connected', 'error'], 30_000);
      if (up.state !== 'connected') throw new Error(`tsunagi: ${JSON.stringify(up)}`);
      if (up.ike !== IKE_PROPOSAL || up.esp !== ESP_PROPOSAL) {
        throw new Error(`tsunagi negotiated ${String(up.ike)} / ${String(up.esp)}`);
      }
    },
    async mark() {
      markAt = c!.lines.length;
    },
    async deadPeer(timeoutMs) {
      const l = await c!.waitFor(
        () => c!.lines.slice(markAt).find((x) => x.type === 'state' && x.state === 'reconnecting'),
        'state reconnecting',
        timeoutMs,
      );
      return l.receivedAt;
    },
    rekeyEvents: () =>
      c!.lines.filter(
        (l) =>
          l.type === 'event' && l.event?.kind === 'child-rekeyed' && l.event.initiator === 'peer',
      ).length,
    async stop() {
      if (!c) return;
      const code = await c.stop();
      const text = c.text.slice(-4).join(' | ');
      c = undefined;
      if (code !== 0) throw new Error(`tsunagi exited ${code}: ${text}`);
    },
  };
}

function referenceDriver(bed: Testbed, pki: LabPki): Driver {
  let ref: ReferenceClient | undefined;
  let log = '';
  let uniqueId = '';
  return {
    label: 'reference',
    tail: () => log.split('\n').slice(-15).join('\n'),
    async connect() {
      ref = await startReferenceClient(bed, {
        pki,
        connections: [
          {
            name: 'psk',
            scenario: 'psk',
            dpdDelaySec: DPD_DELAY_SEC,
            keyingTries: 0,
            dpdAction: 'restart',
          },
        ],
        charon: {
          retransmitTimeoutSec: RETRANSMIT.timeout,
          retransmitBase: RETRANSMIT.base,
          retransmitTries: RETRANSMIT.tries,
        },
      });
      await ref.charon.initiate('psk', 'net');
    },
    async mark() {
      const sa = (await ref!.listSas()).find((s) => s.state === 'ESTABLISHED');
      if (!sa) throw new Error('reference: no established IKE SA');
      uniqueId = sa.uniqueId;
    },
    async deadPeer(timeoutMs) {
      return until(
        'dead peer detected by the reference',
        async () => {
          const sas = await ref!.listSas();
          const at = performance.now();
          return sas.some((s) => s.uniqueId === uniqueId && s.state === 'ESTABLISHED')
            ? undefined
            : at;
        },
        timeoutMs,
      );
    },
    async stop() {
      if (!ref) return;
      await ref.stop();
      log = ref.log();
      ref = undefined;
    },
  };
}

const BLOCK_TABLE = 'tsunagi_bench_block';

/** Drops (or stops dropping) IKE and ESP-in-UDP arriving at the gateway namespace. */
async function setIkeBlocked(bed: Testbed, on: boolean): Promise<void> {
  if (!on) {
    await bed.exec(bed.ns.gateway, ['nft', 'delete', 'table', 'inet', BLOCK_TABLE]);
    return;
  }
  const script = [
    `table inet ${BLOCK_TABLE} {`,
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    udp dport { 500, 4500 } drop',
    '  }',
    '}',
    '',
  ].join('\n');
  await bed.exec(bed.ns.gateway, ['nft', '-f', '-'], { input: script });
}

async function gatewayIdle(gw: Gateway): Promise<void> {
  await until(
    'an idle gateway',
    async () => ((await gw.listSas()).length === 0 ? true : undefined),
    10_000,
  );
}

/** One side's whole sequence (see the file comment). Leaves the bed as it found it. */
async function runSide(bed: Testbed, gw: Gateway, d: Driver, o: RecoveryOptions) {
  const r: Partial<RecoverySide> = {};
  const cleanup = async () => {
    try {
      await d.stop();
    } finally {
      await bed.setUplink(0, true);
      gw.config.connections = NORMAL;
      if (!gw.charon.running) await gw.restart();
      else await gw.reconfigure(NORMAL);
      await gatewayIdle(gw);
    }
  };
  try {
    await d.connect();
    // -- 1. MOBIKE --------------------------------------------------------------------------
    const before = (await gw.listSas())[0];
    if (before?.remoteHost !== ADDR.client.uplink0) {
      throw new Error(`the gateway sees us at ${before?.remoteHost}, not the first uplink`);
    }
    const p1 = await Pinger.start(bed, { intervalSec: 0.01, durationSec: o.mobikeWindowSec });
    await sleep(1000);
    if (p1.replies.length === 0) throw new Error(`no echo replies before the move: ${p1.output}`);
    const moveAt = performance.now();
    await bed.setUplink(0, false);
    const s1 = await p1.finished({ ignoreTailSec: 0.2 });
    const after = p1.repliesAfter(moveAt);
    if (after.length === 0) throw new Error('MOBIKE: no echo reply after the move');
    r.mobikeGapMs = p1.longestSilenceMs(moveAt - 500, after[after.length - 1]!.at);
    r.mobikeLost = s1.lostSeqs.length;
    await until(
      'the gateway showing the second uplink',
      async () =>
        (await gw.listSas()).some((s) => s.remoteHost === ADDR.client.uplink1) ? true : undefined,
      5_000,
    );

    // -- 2. DPD, then reconnect after the gateway restarts --------------------------------
    gw.config.connections = rekeying(o); // what the gateway loads when it starts again
    await d.mark();
    const p2 = await Pinger.start(bed, { intervalSec: 0.05, durationSec: 120 });
    try {
      await sleep(1000);
      if (p2.replies.length === 0) throw new Error('no echo replies before the kill');
      const killAt = performance.now();
      await gw.kill();
      const detectedAt = await d.deadPeer(DPD_BUDGET_MS + 15_000);
      // DPD counts silence from the last packet that came in: an echo reply already in flight
      // when the kill was sent can land a few ms after `killAt`, and the silence starts there
      const lastIn = Math.max(
        killAt,
        ...p2.replies.filter((x) => x.at < detectedAt).map((x) => x.at),
      );
      r.dpdDetectMs = detectedAt - lastIn;
      await sleep(Math.max(0, killAt + DPD_BUDGET_MS + 2_000 - performance.now()));
      // "Reachable again" = answering with its connections loaded: IKE is dropped in the
      // gateway namespace until `swanctl --load-all` is done (before that, charon refuses every
      // proposal; tsunagi-reestablish.spec.ts tests how a client copes with that window).
      await setIkeBlocked(bed, true);
      try {
        await gw.restart();
      } finally {
        await setIkeBlocked(bed, false);
      }
      const upAt = performance.now();
      const first = await p2.firstReplyAfter(upAt, 60_000);
      if (!first) throw new Error('no echo reply within 60 s of the gateway restart');
      r.restartRecoverMs = first.at - upAt;
    } finally {
      await p2.stop();
    }

    // -- 3. Child SA rekeys by the gateway under a 100/s ping ------------------------------
    const spis = new Set<string>();
    const p3 = await Pinger.start(bed, { intervalSec: 0.01, durationSec: o.rekeyWindowSec });
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const sa of await gw.listSas()) {
          for (const c of sa.childSas) if (c.state === 'INSTALLED') spis.add(c.spiIn);
        }
        await sleep(250);
      }
    })();
    const s3 = await p3.finished({ ignoreTailSec: 0.2 });
    polling = false;
    await poller;
    r.rekeys = spis.size - 1;
    if (r.rekeys < 1) throw new Error(`no Child SA rekey within ${o.rekeyWindowSec} s`);
    r.rekeyLost = s3.lostSeqs.length;
    r.rekeySent = s3.transmitted;
    if (d.rekeyEvents) r.rekeyEvents = d.rekeyEvents();
  } catch (e) {
    // put the bed back for the next run, then report the first problem with the client's output
    await cleanup().catch(() => undefined);
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `${d.label}: ${err.message}\n--- ${d.label} client, last lines:\n${d.tail()}`;
    throw err;
  }
  await cleanup();
  return r as RecoverySide;
}

export async function runRecoveryPair(
  bed: Testbed,
  gw: Gateway,
  pki: LabPki,
  o: RecoveryOptions,
): Promise<{ ours: RecoverySide; ref: RecoverySide }> {
  const ours = await runSide(bed, gw, oursDriver(bed), o);
  const ref = await runSide(bed, gw, referenceDriver(bed, pki), o);
  return { ours, ref };
}
