/**
 * Property: whatever mix of genuine hops, garbage, mutated and replayed datagrams, timers and
 * commands reaches a session, handle() never throws, never answers after 'closed', and every
 * datagram it sends is an IKE message for its own SPI.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IkeOutput, IkeTimer } from '../../native-helper/ike/ike-events.js';
import { CLIENT, Exchange, responderFor, sentBytes, sessionConfig } from './harness.js';

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

type Step =
  | { kind: 'advance'; choice: number }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'mutate'; pick: number; at: number; xor: number }
  | { kind: 'truncate'; pick: number; keep: number }
  | { kind: 'replay'; pick: number }
  | { kind: 'timer'; timer: IkeTimer; after: number }
  | { kind: 'command'; command: 'probe' | 'close' | 'roam' | 'traffic' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('advance' as const), choice: fc.nat(7) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      bytes: fc.uint8Array({ maxLength: 200 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('mutate' as const),
      pick: fc.nat(),
      at: fc.nat(),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      pick: fc.nat(),
      keep: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('timer' as const),
      timer: fc.constantFrom(...TIMERS),
      after: fc.integer({ min: 0, max: 200_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('command' as const),
      command: fc.constantFrom(
        'probe' as const,
        'close' as const,
        'roam' as const,
        'traffic' as const,
      ),
    }),
  },
);

/** Runs the script; fails by throwing out of session.handle or an expect. */
function run(steps: Step[], fragmentation: boolean): Exchange {
  const x = new Exchange(sessionConfig({ fragmentation, fragmentSize: 300 }), responderFor());
  const seen: Uint8Array[] = []; // everything the gateway sent so far (for mutation/replay)
  let ours: Uint8Array[] = []; // our last datagrams
  let closed = false;
  const spiI = (): Uint8Array | undefined => x.gw.ike?.spiI;

  const check = (out: IkeOutput[]): void => {
    if (closed) expect(out).toEqual([]);
    for (const o of out) {
      if (o.type === 'closed') closed = true;
      if (o.type === 'send') {
        expect(o.bytes.length).toBeGreaterThanOrEqual(28);
        expect(o.bytes[17]).toBe(0x20); // IKEv2
        const s = spiI();
        if (s) expect(o.bytes.subarray(0, 8)).toEqual(s);
      }
    }
    const sent = sentBytes(out);
    if (sent.length) ours = sent;
  };
  const deliver = (bytes: Uint8Array): void => check(x.deliver(bytes));
  const fromGateway = (make: () => Uint8Array | Uint8Array[]): void => {
    let d: Uint8Array[];
    try {
      const r = make();
      d = Array.isArray(r) ? r : [r];
    } catch {
      return; // the script cannot answer what we sent (not the session's fault)
    }
    seen.push(...d);
    for (const b of d) deliver(b);
  };

  check(x.start());
  for (const s of steps) {
    switch (s.kind) {
      case 'advance': {
        const phase = x.session.state;
        if (phase === 'ike-sa-init')
          fromGateway(() =>
            x.gw.answerInit(ours[0]!, CLIENT, {
              fragmentation,
              ...(s.choice === 1 ? { cookie: Uint8Array.of(s.choice, 9) } : {}),
            }),
          );
        else if (phase === 'ike-auth')
          fromGateway(() => x.gw.answerAuth(ours, s.choice % 2 ? { fragmentSize: 150 } : {}));
        else if (phase === 'established' || phase === 'deleting') {
          const child = x.gw.childSas.at(-1);
          const actions = [
            () => x.gw.liveness(),
            () => x.gw.respond(x.gw.open(ours)),
            () => x.gw.rekeyChild(child!, s.choice % 2 ? 31 : undefined),
            () => x.gw.deleteChild(child!.spiResponder),
            () => x.gw.answerCreateChild(ours[0]!).response,
            () => x.gw.deleteIke(),
            () => x.gw.liveness(x.gw.nextRequestId + 3),
            () => x.gw.respond(x.gw.open(ours)),
          ];
          fromGateway(actions[s.choice % actions.length]!);
        }
        break;
      }
      case 'garbage':
        deliver(s.bytes);
        break;
      case 'mutate': {
        const src = seen[s.pick % Math.max(1, seen.length)];
        if (!src?.length) break;
        const m = src.slice();
        m[s.at % m.length] = m[s.at % m.length]! ^ s.xor;
        deliver(m);
        break;
      }
      case 'truncate': {
        const src = seen[s.pick % Math.max(1, seen.length)];
        if (src) deliver(src.subarray(0, s.keep % (src.length + 1)));
        break;
      }
      case 'replay': {
        const src = seen[s.pick % Math.max(1, seen.length)];
        if (src) deliver(src);
        break;
      }
      case 'timer':
        check(x.fire(s.timer, x.now + s.after));
        break;
      case 'command':
        if (s.command === 'traffic') x.session.noteInboundTraffic(x.now);
        else if (s.command === 'roam')
          check(x.input({ type: 'roam', local: { address: '10.0.0.3', port: 500 } }));
        else check(x.input({ type: s.command }));
        break;
    }
  }
  return x;
}

describe('session robustness (property)', () => {
  it('the driver reaches established with genuine hops only (so the property explores past it)', () => {
    for (const fragmentation of [false, true]) {
      const x = run(
        [
          { kind: 'advance', choice: 0 },
          { kind: 'advance', choice: 1 },
          { kind: 'advance', choice: 0 },
        ],
        fragmentation,
      );
      expect(x.session.state).toBe('established');
    }
  });

  it('never throws out of handle() on interleaved hostile and valid inputs', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.boolean(), (steps, fragmentation) => {
        run(steps, fragmentation);
      }),
      { numRuns: 120 },
    );
  });
});
