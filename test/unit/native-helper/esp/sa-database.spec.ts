import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EspSaConfig } from '../../../../native-helper/esp/esp-sa.js';
import { EspSa } from '../../../../native-helper/esp/esp-sa.js';
import { ENCR_AES_GCM_16, espEncrTransform } from '../../../../native-helper/esp/esp-transforms.js';
import type { AddressRange } from '../../../../native-helper/esp/sa-database.js';
import { prefixRange, SaDatabase } from '../../../../native-helper/esp/sa-database.js';
import { toHex } from '../../../support/hex.js';

const GCM = espEncrTransform(ENCR_AES_GCM_16, 128)!;

function sa(spi: number, extra: Partial<EspSaConfig> = {}): EspSa {
  // The key depends on the SPI, so each direction and generation has its own.
  const encrKey = Uint8Array.from({ length: 20 }, (_, i) => (spi * 7 + i * 13) & 0xff);
  return new EspSa({ spi, encr: GCM, encrKey, ...extra });
}

function ipv4(dst: number[], len = 40): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0x45, 0, 0, len, 0, 0, 0, 0, 64, 17, 0, 0, 10, 10, 10, 1, ...dst]);
  return p;
}

function ipv6(dstLast: number, len = 48): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0x60, 0, 0, 0, 0, len - 40, 17, 64]);
  p.set([0x20, 0x01, 0x0d, 0xb8], 24);
  p[39] = dstLast;
  return p;
}

const v4 = (a: number, b: number, c: number, d: number) => Uint8Array.of(a, b, c, d);
const ANY4 = prefixRange(v4(0, 0, 0, 0), 0);
const ANY6 = prefixRange(new Uint8Array(16), 0);

/** Two ends of one tunnel: what one seals with SPI x, the other opens with its SA x. */
function tunnel() {
  const client = new SaDatabase();
  const server = new SaDatabase();
  client.addInbound(sa(0xc1000001));
  client.addOutbound(sa(0x5e000001), [ANY4]);
  server.addInbound(sa(0x5e000001));
  server.addOutbound(sa(0xc1000001), [ANY4]);
  return { client, server };
}

function wire(r: { kind: string; packet?: Uint8Array }): Uint8Array {
  if (r.kind !== 'packet' || !r.packet) throw new Error(`expected a packet, got ${r.kind}`);
  return r.packet;
}

describe('prefixRange', () => {
  it('turns prefixes into inclusive ranges', () => {
    const r = prefixRange(v4(10, 99, 0, 77), 24);
    expect([...r.start, '-', ...r.end]).toEqual([10, 99, 0, 0, '-', 10, 99, 0, 255]);
    const r2 = prefixRange(v4(10, 99, 0, 77), 13);
    expect([...r2.start, '-', ...r2.end]).toEqual([10, 96, 0, 0, '-', 10, 103, 255, 255]);
    expect([...prefixRange(v4(1, 2, 3, 4), 32).end]).toEqual([1, 2, 3, 4]);
    expect([...ANY4.start, ...ANY4.end]).toEqual([0, 0, 0, 0, 255, 255, 255, 255]);
    const six = prefixRange(
      Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xff, ...new Array<number>(11).fill(0xff)),
      36,
    );
    expect(toHex(six.start)).toBe('20010db8f0000000' + '0'.repeat(16));
    expect(toHex(six.end)).toBe('20010db8ff' + 'f'.repeat(22));
    expect(() => prefixRange(v4(1, 2, 3, 4), 33)).toThrow(RangeError);
    expect(() => prefixRange(new Uint8Array(5), 0)).toThrow(RangeError);
  });
});

describe('SaDatabase', () => {
  it('carries packets both ways between two in-memory ends', () => {
    const { client, server } = tunnel();
    // client --> ESP(SPI 0x5e000001, seq 1) --> server
    const out = wire(client.seal(ipv4([10, 99, 0, 2])));
    const inServer = server.open(out, 0);
    expect(inServer.kind === 'packet' && toHex(inServer.packet)).toBe(toHex(ipv4([10, 99, 0, 2])));
    // server --> ESP(SPI 0xc1000001, seq 1) --> client
    const back = wire(server.seal(ipv4([10, 10, 10, 1], 60)));
    expect(client.open(back, 0).kind).toBe('packet');
    expect(client.stats()).toMatchObject({
      packetsIn: 1,
      bytesIn: 60,
      packetsOut: 1,
      bytesOut: 40,
      inboundSas: 1,
      outboundSas: 1,
    });
  });

  it('drops and counts unknown SPIs and packets with no outbound SA', () => {
    const { client } = tunnel();
    expect(
      client.open(Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 1, ...new Array<number>(40).fill(0)), 0),
    ).toEqual({
      kind: 'drop',
      reason: 'unknown-spi',
    });
    expect(client.open(Uint8Array.of(1, 2), 0)).toEqual({ kind: 'drop', reason: 'unknown-spi' });
    expect(client.seal(ipv6(2))).toEqual({ kind: 'drop', reason: 'no-sa' });
    expect(client.seal(Uint8Array.of(0x12))).toEqual({ kind: 'not-ip' });
    const s = client.stats();
    expect(s.drops['unknown-spi']).toBe(2);
    expect(s.drops['no-sa']).toBe(1);
    expect(s.packetsOut).toBe(0);
  });

  it('counts drops of the SAs it routes to', () => {
    const { client, server } = tunnel();
    const p = wire(client.seal(ipv4([10, 99, 0, 2])));
    server.open(p, 0);
    server.open(p, 0);
    const forged = new Uint8Array(wire(client.seal(ipv4([10, 99, 0, 2]))));
    forged[20] = forged[20]! ^ 1;
    server.open(forged, 0);
    expect(server.stats().drops).toMatchObject({ replay: 1, auth: 1, 'unknown-spi': 0 });
  });

  it('selects the outbound SA by the most specific range holding the destination', () => {
    const db = new SaDatabase();
    db.addOutbound(sa(0x1001), [ANY4]);
    db.addOutbound(sa(0x1002), [
      prefixRange(v4(10, 99, 0, 0), 24),
      prefixRange(v4(192, 0, 2, 0), 24),
    ]);
    db.addOutbound(sa(0x1003), [{ start: v4(10, 99, 0, 100), end: v4(10, 99, 0, 110) }]);
    db.addOutbound(sa(0x1004), [ANY6]);
    const pick = (dst: Uint8Array) => db.selectOutbound(dst)?.spi;
    expect(pick(v4(8, 8, 8, 8))).toBe(0x1001);
    expect(pick(v4(10, 99, 0, 5))).toBe(0x1002);
    expect(pick(v4(192, 0, 2, 255))).toBe(0x1002);
    expect(pick(v4(10, 99, 0, 100))).toBe(0x1003);
    expect(pick(v4(10, 99, 0, 110))).toBe(0x1003);
    expect(pick(v4(10, 99, 0, 111))).toBe(0x1002);
    expect(pick(ipv6(9).subarray(24, 40))).toBe(0x1004);
    const r = db.seal(ipv4([10, 99, 0, 105]));
    expect(r.kind === 'packet' && Buffer.from(r.packet).readUInt32BE(0)).toBe(0x1003);
    const r6 = db.seal(ipv6(1));
    expect(r6.kind === 'packet' && Buffer.from(r6.packet).readUInt32BE(0)).toBe(0x1004);
    // On equal ranges the most recently installed SA wins (the new SA of a rekey).
    db.addOutbound(sa(0x1005), [ANY4]);
    expect(pick(v4(8, 8, 8, 8))).toBe(0x1005);
    expect(db.removeOutbound(0x1005)).toBe(true);
    expect(db.removeOutbound(0x1005)).toBe(false);
    expect(pick(v4(8, 8, 8, 8))).toBe(0x1001);
  });

  it('agrees with a naive range model on random selectors (property)', () => {
    const addr = fc.uint8Array({ minLength: 4, maxLength: 4 });
    const range = fc
      .tuple(addr, addr)
      .map(([a, b]) => (Buffer.compare(a, b) <= 0 ? { start: a, end: b } : { start: b, end: a }));
    fc.assert(
      fc.property(
        fc.array(fc.array(range, { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
        fc.array(addr, { maxLength: 20 }),
        (sas, dsts) => {
          const db = new SaDatabase();
          sas.forEach((ranges, i) => db.addOutbound(sa(0x2000 + i), ranges));
          const num = (b: Uint8Array) => Buffer.from(b).readUInt32BE(0);
          for (const d of dsts) {
            let best: { spi: number; width: number } | undefined;
            sas.forEach((ranges, i) => {
              for (const r of ranges as AddressRange[]) {
                if (num(d) < num(r.start) || num(d) > num(r.end)) continue;
                const width = num(r.end) - num(r.start);
                if (!best || width <= best.width) best = { spi: 0x2000 + i, width };
              }
            });
            if (db.selectOutbound(d)?.spi !== best?.spi) return false;
          }
          return true;
        },
      ),
      { numRuns: 300, seed: 7296 },
    );
  });

  it('keeps the old inbound SA for a grace period after a rekey, then forgets it', () => {
    const { client, server } = tunnel();
    // Packets the server sent with the old SA, still in flight during the rekey.
    const late = [
      wire(server.seal(ipv4([10, 10, 10, 1]))),
      wire(server.seal(ipv4([10, 10, 10, 1]))),
    ];
    expect(client.open(late[0]!, 1000).kind).toBe('packet');

    // CREATE_CHILD_SA done at t = 1000: new SPIs both ways; grace period 5 s.
    client.rekey({
      oldInboundSpi: 0xc1000001,
      oldOutboundSpi: 0x5e000001,
      inbound: sa(0xc1000002),
      outbound: sa(0x5e000002),
      ranges: [ANY4],
      now: 1000,
      graceMs: 5000,
    });
    server.addInbound(sa(0x5e000002));
    server.addOutbound(sa(0xc1000002), [ANY4]);
    server.removeOutbound(0xc1000001);

    // The client now sends with the new SA only.
    const fresh = wire(client.seal(ipv4([10, 99, 0, 2])));
    expect(Buffer.from(fresh).readUInt32BE(0)).toBe(0x5e000002);
    expect(Buffer.from(fresh).readUInt32BE(4)).toBe(1);
    expect(server.open(fresh, 1100).kind).toBe('packet');
    // Both inbound SAs work during the grace period.
    expect(client.open(wire(server.seal(ipv4([10, 10, 10, 1]))), 2000).kind).toBe('packet');
    expect(client.open(late[1]!, 5999).kind).toBe('packet');
    expect(client.expire(5999)).toEqual([]);
    expect(client.stats().inboundSas).toBe(2);
    // At the deadline the old SA is gone, even before expire() runs.
    const replayOfLate = late[1]!;
    expect(client.open(replayOfLate, 6000)).toEqual({ kind: 'drop', reason: 'unknown-spi' });
    expect(client.stats().inboundSas).toBe(1);
    expect(client.expire(10_000)).toEqual([]);
    // Totals include the removed SAs' counters.
    expect(client.stats()).toMatchObject({ packetsIn: 3, packetsOut: 1, outboundSas: 1 });
  });

  it('expire() removes retired SAs whose grace period is over', () => {
    const db = new SaDatabase();
    db.addInbound(sa(0x3001));
    db.addInbound(sa(0x3002));
    db.addInbound(sa(0x3003));
    expect(db.retireInbound(0x3001, 500)).toBe(true);
    expect(db.retireInbound(0x3002, 900)).toBe(true);
    expect(db.retireInbound(0x9999, 900)).toBe(false);
    expect(db.expire(499)).toEqual([]);
    expect(db.expire(500)).toEqual([0x3001]);
    expect(db.lookupInbound(0x3002, 600)?.spi).toBe(0x3002);
    expect(db.expire(1000)).toEqual([0x3002]);
    expect(db.lookupInbound(0x3003, 1e12)?.spi).toBe(0x3003);
    expect(db.removeInbound(0x3003)).toBe(true);
    expect(db.removeInbound(0x3003)).toBe(false);
    expect(db.stats().inboundSas).toBe(0);
  });

  it('reports exhausted and rekey-due outbound SAs', () => {
    const db = new SaDatabase();
    db.addOutbound(sa(0x4001, { lastSequence: 2 ** 32 - 2 }), [prefixRange(v4(10, 0, 0, 0), 8)]);
    db.addOutbound(sa(0x4002, { softSequenceLimit: 1 }), [ANY4]);
    expect(db.rekeyNeeded().map((s) => s.spi)).toEqual([0x4001]);
    expect(db.seal(ipv4([8, 8, 8, 8])).kind).toBe('packet');
    expect(db.rekeyNeeded().map((s) => s.spi)).toEqual([0x4001, 0x4002]);
    expect(db.seal(ipv4([10, 1, 1, 1])).kind).toBe('packet'); // seq 2^32 − 1
    expect(db.seal(ipv4([10, 1, 1, 1]))).toEqual({ kind: 'sequence-exhausted-sa', spi: 0x4001 });
  });

  it('processes batches, reusing the result arrays', () => {
    const { client, server } = tunnel();
    const inner = Array.from({ length: 64 }, (_, i) => ipv4([10, 99, 0, i], 40 + i));
    const sealed = client.sealBatch(inner);
    expect(sealed).toHaveLength(64);
    const datagrams = sealed.map(wire);
    datagrams.push(Uint8Array.of(9, 9, 9, 9, 0, 0, 0, 1));
    const results = [client.open(datagrams[0]!, 0)];
    const opened = server.openBatch(datagrams, 0, results);
    expect(opened).toBe(results);
    expect(opened).toHaveLength(65);
    expect(
      opened
        .slice(0, 64)
        .every((r, i) => r.kind === 'packet' && toHex(r.packet) === toHex(inner[i]!)),
    ).toBe(true);
    expect(opened[64]).toEqual({ kind: 'drop', reason: 'unknown-spi' });
    expect(server.stats()).toMatchObject({ packetsIn: 64, drops: { 'unknown-spi': 1 } });
  });

  it('refuses duplicate SPIs and bad ranges', () => {
    const db = new SaDatabase();
    db.addInbound(sa(0x5001));
    expect(() => db.addInbound(sa(0x5001))).toThrow(/already/);
    db.addOutbound(sa(0x5002), [ANY4]);
    expect(() => db.addOutbound(sa(0x5002), [ANY4])).toThrow(/already/);
    expect(() =>
      db.addOutbound(sa(0x5003), [{ start: v4(10, 0, 0, 2), end: v4(10, 0, 0, 1) }]),
    ).toThrow(RangeError);
    expect(() =>
      db.addOutbound(sa(0x5003), [{ start: v4(10, 0, 0, 2), end: new Uint8Array(16) }]),
    ).toThrow(RangeError);
  });
});
