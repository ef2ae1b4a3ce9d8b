/**
 * Session fuzz at scale: more than 100,000 hostile datagrams (bit flips, byte edits, truncations,
 * appends, header-field edits, splices, garbage with our SPIs, body edits with a fixed-up length)
 * made from genuine gateway messages, fed to sessions in every phase (IKE_SA_INIT sent, IKE_AUTH
 * sent, established, established with fragmentation, deleting, after a gateway IKE rekey), mixed
 * with random timers and commands. Invariants, checked after every input:
 *
 *   - handle() never throws, and answers nothing once it said 'closed' (it says so once);
 *   - every output is well formed: IKEv2 datagrams whose header length is their length and whose
 *     SPIi is one of this exchange's, timers armed at finite times not in the past, known events;
 *   - nothing that did not authenticate changes state: a hostile datagram never installs, removes
 *     or moves a Child SA, never establishes, never closes a keyed IKE SA (IKE_AUTH on), and never
 *     ends IKE_SA_INIT by itself (RFC 7296 §2.21.1: only the bounded COOKIE/INVALID_KE restarts,
 *     or the same refusal answering two transmissions of our request);
 *   - every hostile datagram is accounted for: a 'dropped' event with a reason, or (an SKF
 *     fragment) held for reassembly — within the reassembler's bounds;
 *   - what the session holds stays bounded (queued requests, Child SAs, IKE SAs, fragments).
 *
 * The default run (fixed seed) feeds ≥ 100,000 hostile datagrams and stays within the unit
 * suite's budget; `TSUNAGI_FUZZ_SCALE=10` runs ten times more, `TSUNAGI_FUZZ_SEED` another seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IkeOutput, IkeTimer } from '../../native-helper/ike/ike-events.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { MAX_IKE_INIT_RETRIES } from '../../native-helper/constants.js';
import { SeededRandom } from '../support/fixed-random.js';
import { CLIENT, Exchange, onlySent, responderFor, sentBytes, sessionConfig } from './harness.js';

const SCALE = Number(process.env['TSUNAGI_FUZZ_SCALE'] ?? '1');
const SEED = Number(process.env['TSUNAGI_FUZZ_SEED'] ?? '20261124');
const RUNS = Math.max(1, Math.round(100 * SCALE));
const INPUTS_PER_RUN = 1_100;

const STATES = [
  'ike-sa-init',
  'ike-auth',
  'established',
  'established-fragmented',
  'deleting',
  'ike-rekeyed',
] as const;
type FuzzState = (typeof STATES)[number];

const TIMERS: IkeTimer[] = [
  'retransmit',
  'half-open',
  'dpd',
  'natt-keepalive',
  'rekey-ike',
  'rekey-child',
  'expire-ike',
  'expire-child',
  'delete-rekeyed',
];

const EVENT_KINDS = new Set([
  'ike-sa-init-sent',
  'cookie-requested',
  'invalid-ke',
  'redirected',
  'nat-detected',
  'floated-to-natt',
  'authenticated',
  'eap-round',
  'established',
  'child-rekeyed',
  'ike-rekeyed',
  'mobike-update',
  'dpd-sent',
  'retransmit',
  'peer-delete',
  'dropped',
]);

/** xorshift32: the per-run stream of mutations (the run's seed reproduces it exactly). */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return n <= 0 ? 0 : s % n;
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Built {
  x: Exchange;
  /** Genuine datagrams from the gateway (not necessarily delivered): mutation sources. */
  corpus: Uint8Array[];
}

/** A session in the given phase, with the gateway's genuine messages for it. */
function build(state: FuzzState, seed: number): Built {
  const fragmentation = state === 'established-fragmented';
  const x = new Exchange(
    sessionConfig({
      seed: `i${seed}`,
      fragmentation,
      fragmentSize: 300,
      mobike: true,
      childLifetimeMs: 3_600_000,
      ikeLifetimeMs: 14_400_000,
    }),
    responderFor({ random: new SeededRandom(`r${seed}`) }),
  );
  const gw = x.gw;
  const init = onlySent(x.start());
  const initResponse = gw.answerInit(init, CLIENT, { fragmentation });
  if (state === 'ike-sa-init')
    return {
      x,
      corpus: [
        initResponse,
        gw.answerInit(init, CLIENT, { cookie: Uint8Array.of(1, 2, 3, 4) }),
        gw.answerInit(init, CLIENT, { invalidKe: 19 }),
      ],
    };
  const auth = sentBytes(x.deliver(initResponse));
  const authResponse = gw.answerAuth(auth, fragmentation ? { fragmentSize: 150 } : {});
  if (state === 'ike-auth') return { x, corpus: [initResponse, ...authResponse] };
  x.deliverAll(authResponse);
  if (x.session.state !== 'established') throw new Error(`not established (${state})`);
  const corpus = [initResponse, ...authResponse];
  if (state === 'ike-rekeyed') {
    const res = onlySent(x.deliver(gw.rekeyIke()));
    gw.completeIkeRekey(res);
    corpus.push(gw.deleteOldIke());
  }
  const child = gw.childSas.at(-1)!;
  // A liveness check of ours in flight, its answer (undelivered) in the corpus.
  const ping = gw.open(sentBytes(x.input({ type: 'probe' })));
  corpus.push(
    gw.respond(ping),
    gw.liveness(),
    gw.deleteChild(child.spiResponder),
    gw.rekeyChild(child),
    gw.deleteIke(),
    gw.rekeyIke(),
    ...gw.protect(
      { exchangeType: 37, response: false, messageId: gw.nextRequestId, payloads: [] },
      { fragmentSize: 120 },
    ),
  );
  if (state === 'deleting') x.input({ type: 'close' });
  return { x, corpus };
}

/** One hostile datagram made from the corpus (never byte-identical to its source). */
function mutate(corpus: Uint8Array[], spis: Uint8Array, r: (n: number) => number): Uint8Array {
  const src = corpus[r(corpus.length)]!;
  let m: Uint8Array;
  switch (r(10)) {
    case 0: // one bit
      m = src.slice();
      m[r(m.length)]! ^= 1 << r(8);
      break;
    case 1: // one byte
      m = src.slice();
      m[r(m.length)] = r(256);
      break;
    case 2: // truncated
      m = src.slice(0, r(src.length));
      break;
    case 3: // trailing bytes
      m = concatBytes(src, randomBytes(1 + r(64), r));
      break;
    case 4: {
      // a header field: next payload, version, exchange type, flags, message ID, length
      m = src.slice();
      if (m.length > 16) m[16 + r(Math.min(12, m.length - 16))] = r(256);
      else m = randomBytes(r(40), r);
      break;
    }
    case 5: {
      // the head of one message and the tail of another
      const other = corpus[r(corpus.length)]!;
      const cut = r(Math.min(src.length, other.length) + 1);
      m = concatBytes(src.subarray(0, cut), other.subarray(cut));
      break;
    }
    case 6: // garbage
      m = randomBytes(r(300), r);
      break;
    case 7: {
      // garbage behind a header with our SPIs and a consistent length (reaches the SA's decoder)
      const body = randomBytes(r(200), r);
      m = new Uint8Array(28 + body.length);
      m.set(spis.subarray(0, 16));
      m[16] = [PayloadType.SK, PayloadType.SKF, 0, r(256)][r(4)]!;
      m[17] = 0x20;
      m[18] = [34, 35, 36, 37, r(256)][r(5)]!;
      m[19] = [0x20, 0x28, 0x00, 0x08, r(256)][r(5)]!;
      new DataView(m.buffer).setUint32(20, r(4), false);
      new DataView(m.buffer).setUint32(24, m.length, false);
      m.set(body, 28);
      break;
    }
    case 8: // several bytes
      m = src.slice();
      for (let i = 1 + r(8); i > 0; i--) m[r(m.length)]! ^= 1 + r(255);
      break;
    default: {
      // a body edit with the header's length fixed up (only the ICV can catch it)
      m = src.length > 28 ? src.slice() : concatBytes(spis.subarray(0, 16), randomBytes(40, r));
      m[28 + r(m.length - 28)]! ^= 1 + r(255);
      if (m.length >= 28) new DataView(m.buffer, m.byteOffset).setUint32(24, m.length, false);
      break;
    }
  }
  if (m.length === src.length && m.every((b, i) => b === src[i])) {
    m = src.slice();
    m[m.length - 1]! ^= 0x80;
  }
  return m;
}

function randomBytes(n: number, r: (n: number) => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r(256);
  return b;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

interface Totals {
  hostile: number;
  /** Hostile datagrams that reached a session not yet closed. */
  live: number;
  closedSessions: number;
  dropped: number;
  heldFragments: number;
  timers: number;
  commands: number;
  /** IKE_SA_INIT attempts ended by the same refusal on two transmissions (allowed, counted). */
  initRefusals: number;
}

function timelineOf(out: IkeOutput[]) {
  return out.flatMap((o) => (o.type === 'event' ? [o.event] : []));
}

function fuzzOne(state: FuzzState, seed: number, totals: Totals): void {
  let left = INPUTS_PER_RUN;
  for (let k = 0; left > 0 && k < 12; k++)
    left -= segment(state, (seed + k * 7919) | 0, left, totals);
}

/** Inputs to one session until it closed (and a few after) or the budget is spent; returns how many. */
function segment(state: FuzzState, seed: number, budget: number, totals: Totals): number {
  const { x, corpus } = build(state, seed);
  const gw = x.gw;
  const r = prng(seed ^ 0x5eed);
  const genuine = new Set(corpus.map(hex));
  let closed = false;
  // From IKE_AUTH on the session has keys: only what authenticates may do anything but drop.
  const keyed = (): boolean =>
    x.session.state === 'ike-auth' ||
    x.session.state === 'established' ||
    x.session.state === 'deleting';
  // The SPIi our datagrams may carry: the first IKE SA's and those of the gateway's rekeys.
  const spis = new Set<string>();
  for (const sa of [gw.ike, gw.oldIke, ...gw.allIkes]) if (sa) spis.add(hex(sa.spiI));
  spis.add(hex(onlySent(x.log.filter((o) => o.type === 'send').slice(0, 1)).subarray(0, 8)));
  const saSpis = gw.ike ? concatBytes(gw.ike.spiI, gw.ike.spiR) : new Uint8Array(16);
  // (plain checks on the hot path: an expect() per output would dominate the run time)
  const fail = (what: string, o?: unknown): never => {
    throw new Error(`${state} seed ${seed}: ${what} ${o === undefined ? '' : JSON.stringify(o)}`);
  };

  const wellFormed = (out: IkeOutput[], now: number): void => {
    if (closed && out.length) fail('output after closed', out);
    for (const o of out) {
      switch (o.type) {
        case 'send': {
          const b = o.bytes;
          if (b.length < 28 || b[17] !== 0x20) fail('not an IKEv2 datagram');
          if (new DataView(b.buffer, b.byteOffset).getUint32(24, false) !== b.length)
            fail('header length differs from the datagram length');
          if (!spis.has(hex(b.subarray(0, 8)))) fail('datagram for a foreign SPIi');
          if (o.to.port !== 500 && o.to.port !== 4500) fail('sent to a port other than 500/4500');
          break;
        }
        case 'arm-timer':
          if (!Number.isFinite(o.at) || o.at < now || !TIMERS.includes(o.timer))
            fail('bad timer', o);
          break;
        case 'event':
          if (!EVENT_KINDS.has(o.event.kind)) fail('unknown event', o);
          break;
        case 'closed':
          if (closed) fail('closed twice');
          closed = true;
          break;
        case 'cancel-timer':
          if (!TIMERS.includes(o.timer)) fail('bad timer', o);
          break;
        case 'send-keepalive':
        case 'established':
        case 'install-child-sa':
        case 'remove-child-sa':
        case 'update-child-sa-endpoints':
          break;
      }
    }
  };

  /**
   * IKE_SA_INIT answers are unauthenticated (RFC 7296 §2.21.1): one never ends the attempt. Only
   * the bounded restarts (COOKIE, INVALID_KE_PAYLOAD: too-many-retries after the fifth) and a
   * refusal that already answered an earlier transmission of our request (the session reported
   * it then, and has sent the request again since) may close it.
   */
  const initCloseAllowed = (out: IkeOutput[]): void => {
    const reason = out.find((o) => o.type === 'closed');
    if (reason?.type !== 'closed') return;
    const why = reason.reason;
    if (why.kind !== 'failed') return fail('IKE_SA_INIT closed by a hostile datagram', why);
    const code = why.error.code;
    const events = x.log.flatMap((o) => (o.type === 'event' ? [o.event] : []));
    const upTo = events.length - timelineOf(out).length;
    if (code === 'too-many-retries') {
      const restarts = events.filter(
        (e) => e.kind === 'cookie-requested' || e.kind === 'invalid-ke',
      );
      if (restarts.length < MAX_IKE_INIT_RETRIES) fail('too-many-retries too early', restarts);
      return;
    }
    const first = events.findIndex(
      (e, i) =>
        i < upTo &&
        e.kind === 'dropped' &&
        e.reason.startsWith(`unauthenticated IKE_SA_INIT answer: ${code} `),
    );
    const sentAgain = events.some(
      (e, i) =>
        i > first &&
        i < upTo &&
        (e.kind === 'ike-sa-init-sent' ||
          (e.kind === 'retransmit' && e.exchange === 'IKE_SA_INIT')),
    );
    if (first < 0 || !sentAgain) fail(`IKE_SA_INIT ended by one unauthenticated ${code}`);
    totals.initRefusals++;
  };

  let afterClose = 0;
  let i = 0;
  for (; i < budget; i++) {
    if (closed && ++afterClose > 3) break;
    const pick = r(100);
    if (pick < 3) {
      totals.timers++;
      x.now += r(60_000);
      wellFormed(x.fire(TIMERS[r(TIMERS.length)]!), x.now);
      continue;
    }
    if (pick < 5) {
      totals.commands++;
      const c = r(50);
      const out =
        c === 0
          ? x.input({ type: 'close' })
          : c < 15
            ? x.input({ type: 'probe' })
            : c < 30
              ? x.input({ type: 'roam', local: { address: `10.0.${r(3)}.${1 + r(3)}`, port: 500 } })
              : x.input({
                  type: 'rekey-child',
                  spiIn: gw.childSas.at(-1)?.spiInitiator ?? r(2 ** 32),
                  reason: 'seq-soft-limit',
                });
      if (c >= 30) x.session.noteInboundTraffic(x.now);
      wellFormed(out, x.now);
      continue;
    }
    // A hostile datagram.
    const before = x.session.state;
    const wasKeyed = keyed();
    const bytes = mutate(corpus, saSpis, r);
    if (genuine.has(hex(bytes))) continue; // a splice can rebuild a genuine message
    totals.hostile++;
    const out = x.deliver(bytes);
    wellFormed(out, x.now);
    if (before === 'closed') continue;
    totals.live++;
    // Nothing unauthenticated changes the SAs.
    let drops = 0;
    for (const o of out) {
      if (o.type === 'install-child-sa' || o.type === 'established')
        fail(`${o.type} from a hostile datagram`);
      if (o.type === 'update-child-sa-endpoints') fail('SA moved by a hostile datagram');
      if (o.type === 'event' && o.event.kind === 'dropped') drops++;
      else if (wasKeyed) fail('a keyed SA reacted to a hostile datagram', o);
    }
    if (wasKeyed && x.session.state !== before) fail(`state ${before} → ${x.session.state}`);
    if (before === 'ike-sa-init') initCloseAllowed(out);
    // Every hostile datagram is accounted for: dropped with a reason, or a fragment held.
    totals.dropped += drops;
    if (wasKeyed && drops === 0) {
      if (out.length || bytes[16] !== PayloadType.SKF) fail('silently ignored', hex(bytes));
      totals.heldFragments++;
    }
    const f = x.session.footprint;
    if (f.queued > 8 || f.children > 4 || f.ikeSas > 4 || f.fragmentsHeld > 64)
      fail('unbounded state', f);
  }
  if (closed) totals.closedSessions++;
  return i;
}

describe('session fuzz (≥ 100,000 hostile datagrams)', () => {
  it('every phase of the session can be built (so the fuzz reaches it)', () => {
    for (const s of STATES) {
      const { x } = build(s, 1);
      const expected =
        s === 'ike-sa-init' || s === 'ike-auth' ? s : s === 'deleting' ? 'deleting' : 'established';
      expect(x.session.state).toBe(expected);
    }
  });

  it('no throw, well-formed outputs, no state change from unauthenticated input, drops accounted, bounded', () => {
    const totals: Totals = {
      hostile: 0,
      live: 0,
      closedSessions: 0,
      dropped: 0,
      heldFragments: 0,
      timers: 0,
      commands: 0,
      initRefusals: 0,
    };
    fc.assert(
      fc.property(fc.constantFrom(...STATES), fc.integer(), (state, seed) => {
        fuzzOne(state, seed, totals);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(
      `session fuzz: ${RUNS} runs, ${totals.closedSessions} sessions closed on the way, ${totals.hostile} hostile datagrams (${totals.live} to live sessions, ${totals.dropped} dropped events, ${totals.heldFragments} fragments held), ${totals.timers} timers, ${totals.commands} commands, ${totals.initRefusals} IKE_SA_INIT attempts ended by a repeated refusal`,
    );
    expect(totals.live).toBeGreaterThanOrEqual(100_000 * Math.min(1, SCALE));
    expect(totals.dropped).toBeGreaterThan(totals.live * 0.9);
  }, 600_000);
});
