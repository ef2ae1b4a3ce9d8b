/**
 * The data plane between two ends of one Child SA: TCP SYN/SYN-ACK MSS clamping in both
 * directions on packets the Linux kernel made (options as the kernel lays them out), and the
 * early rekey request when the outbound sequence number passes the soft limit.
 */
import { describe, expect, it } from 'vitest';
import type { ChildSaKeys } from '../../../../native-helper/ike/ike-events.js';
import { EspDataPlane } from '../../../../native-helper/tunnel/data-plane.js';

const random = { bytes: (n: number) => new Uint8Array(n).fill(0x33) };
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Captured with tcpdump -x on a namespace's lo (Linux 6.x): a SYN and a SYN-ACK (MSS 65495,
 * SACK, timestamps, window scale) and an IPv6 SYN (MSS 65476). Loopback leaves the TCP checksum
 * partial (offloaded), so the tests fill in the full checksum first.
 */
const SYN4 = hex(`4500 003c cee0 4000 4006 6dd9 7f00 0001 7f00 0001 c7d2 1f90 bb71 59ec 0000 0000
  a002 ffd7 fe30 0000 0204 ffd7 0402 080a 34cf 2973 0000 0000 0103 030a`);
const SYNACK4 = hex(`4500 003c 0000 4000 4006 3cba 7f00 0001 7f00 0001 1f90 c7d2 3996 e73c bb71 59ed
  a012 ffcb fe30 0000 0204 ffd7 0402 080a bcb8 9cd1 34cf 2973 0103 030a`);
const ACK4 = hex(`4500 0034 cee1 4000 4006 6de0 7f00 0001 7f00 0001 c7d2 1f90 bb71 59ed 3996 e73d
  8010 0040 fe28 0000 0101 080a 34cf 2974 bcb8 9cd1`);
const SYN6 = hex(`600f b04f 0028 0640 0000 0000 0000 0000 0000 0000 0000 0001 0000 0000 0000 0000
  0000 0000 0000 0001 85ae 1f91 3b4b d06e 0000 0000 a002 ffc4 0030 0000 0204 ffc4
  0402 080a 0368 f5c6 0000 0000 0103 030a`);

function sum16(bytes: Uint8Array, start = 0, end = bytes.length, init = 0): number {
  let s = init;
  for (let i = start; i < end; i += 2) s += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The full TCP checksum computed from scratch (pseudo header + segment), checksum field as is. */
function tcpChecksumSum(p: Uint8Array): number {
  const v6 = p[0]! >> 4 === 6;
  const tcp = v6 ? 40 : (p[0]! & 0x0f) * 4;
  const len = v6 ? (p[4]! << 8) | p[5]! : ((p[2]! << 8) | p[3]!) - tcp;
  let s = v6 ? sum16(p, 8, 40) : sum16(p, 12, 20);
  s = sum16(Uint8Array.of(0, 0, len >> 8, len & 0xff, 0, 0, 0, 6), 0, 8, s);
  return sum16(p, tcp, tcp + len, s);
}

/** Writes a correct TCP checksum into a copy of the packet. */
function withChecksum(p: Uint8Array): Uint8Array {
  const q = p.slice();
  const tcp = q[0]! >> 4 === 6 ? 40 : (q[0]! & 0x0f) * 4;
  q[tcp + 16] = q[tcp + 17] = 0;
  const c = ~tcpChecksumSum(q) & 0xffff;
  q[tcp + 16] = c >> 8;
  q[tcp + 17] = c & 0xff;
  return q;
}
const checksumValid = (p: Uint8Array) => tcpChecksumSum(p) === 0xffff;
const mssOf = (p: Uint8Array) => {
  const o = (p[0]! >> 4 === 6 ? 40 : 20) + 20;
  expect(p[o]).toBe(2);
  return (p[o + 2]! << 8) | p[o + 3]!;
};

function keys(spiIn: number, spiOut: number, mirror = false): ChildSaKeys {
  const a = new Uint8Array(36).fill(0xa1);
  const b = new Uint8Array(36).fill(0xb2);
  const any4 = {
    family: 4 as const,
    protocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddress: '0.0.0.0',
    endAddress: '255.255.255.255',
  };
  const any6 = {
    ...any4,
    family: 6 as const,
    startAddress: '::',
    endAddress: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  };
  return {
    spiIn: mirror ? spiOut : spiIn,
    spiOut: mirror ? spiIn : spiOut,
    encr: 20,
    encrKeyBits: 256,
    integ: 0,
    encrKeyIn: mirror ? b : a,
    integKeyIn: new Uint8Array(0),
    encrKeyOut: mirror ? a : b,
    integKeyOut: new Uint8Array(0),
    tsLocal: [any4, any6],
    tsRemote: [any4, any6],
    local: { address: '192.0.2.2', port: 4500 },
    remote: { address: '198.51.100.1', port: 4500 },
    proposal: 'aes256gcm16',
  };
}

/** Our data plane and the gateway's mirror: what one sends, the other opens. */
function pair(opts: ConstructorParameters<typeof EspDataPlane>[3] = {}) {
  const toGateway: Uint8Array[] = [];
  const toTun: Uint8Array[] = [];
  const atGateway: Uint8Array[] = [];
  const fromGateway: Uint8Array[] = [];
  const ours = new EspDataPlane(
    (d) => toGateway.push(...d),
    (p) => toTun.push(...p),
    random,
    opts,
  );
  const gw = new EspDataPlane(
    (d) => fromGateway.push(...d),
    (p) => atGateway.push(...p),
    random,
  );
  ours.install(keys(0xc0000001, 0x50000001));
  gw.install(keys(0xc0000001, 0x50000001, true));
  return {
    ours,
    gw,
    /** TUN → ours → ESP → gateway: the inner packet the gateway gets. */
    out(p: Uint8Array): Uint8Array {
      ours.outbound([p]);
      gw.esp(toGateway.shift()!);
      return atGateway.shift()!;
    },
    /** gateway → ESP → ours → TUN. */
    in(p: Uint8Array): Uint8Array {
      gw.outbound([p]);
      ours.esp(fromGateway.shift()!);
      return toTun.shift()!;
    },
    toGateway,
  };
}

describe('EspDataPlane: TCP MSS clamping', () => {
  it('the captured packets have valid checksums once filled in', () => {
    for (const p of [SYN4, SYNACK4, ACK4, SYN6]) expect(checksumValid(withChecksum(p))).toBe(true);
    expect(mssOf(SYN4)).toBe(65495);
    expect(mssOf(SYN6)).toBe(65476);
  });

  it('clamps a SYN going out and a SYN-ACK coming in; checksums stay valid', () => {
    const t = pair();
    t.ours.setMss({ v4: 1360, v6: 1340 });
    const syn = t.out(withChecksum(SYN4));
    expect(mssOf(syn)).toBe(1360);
    expect(checksumValid(syn)).toBe(true);
    const synAck = t.in(withChecksum(SYNACK4));
    expect(mssOf(synAck)).toBe(1360);
    expect(checksumValid(synAck)).toBe(true);
    // only the MSS bytes and the checksum changed
    const orig = withChecksum(SYNACK4);
    const changed = [...synAck.keys()].filter((i) => synAck[i] !== orig[i]);
    expect(changed.every((i) => [36, 37, 42, 43].includes(i))).toBe(true);
    expect(t.ours.clampedSyns).toBe(2);
  });

  it('clamps an IPv6 SYN to the IPv6 limit', () => {
    const t = pair();
    t.ours.setMss({ v4: 1360, v6: 1340 });
    const syn = t.out(withChecksum(SYN6));
    expect(mssOf(syn)).toBe(1340);
    expect(checksumValid(syn)).toBe(true);
  });

  it('leaves non-SYN segments, small MSS values and an unset limit alone', () => {
    const t = pair();
    t.ours.setMss({ v4: 1360, v6: 1340 });
    const ack = withChecksum(ACK4);
    expect([...t.out(ack)]).toEqual([...ack]);
    t.ours.setMss({ v4: 65535, v6: 65535 });
    const syn = withChecksum(SYN4);
    expect([...t.out(syn)]).toEqual([...syn]);
    t.ours.setMss({ v4: 0, v6: 0 });
    expect([...t.in(syn)]).toEqual([...syn]);
    expect(t.ours.clampedSyns).toBe(0);
  });
});

describe('EspDataPlane: early rekey at the soft sequence limit', () => {
  it('asks once per outbound SA when its sequence number passes the limit', () => {
    const asked: [number, string][] = [];
    const t = pair({ softSequenceLimit: 5, rekeyNeeded: (spi, why) => asked.push([spi, why]) });
    const ack = withChecksum(ACK4);
    for (let i = 0; i < 4; i++) t.out(ack);
    expect(asked).toEqual([]);
    t.out(ack); // sequence number 5
    expect(asked).toEqual([[0xc0000001, 'seq-soft-limit']]);
    for (let i = 0; i < 10; i++) t.out(ack);
    expect(asked).toHaveLength(1);

    // the rekeyed SA starts from 1 again and asks for itself when its turn comes
    t.ours.install(keys(0xc0000002, 0x50000002));
    t.gw.install(keys(0xc0000002, 0x50000002, true));
    t.ours.remove(0xc0000001, 0x50000001);
    for (let i = 0; i < 4; i++) t.out(ack);
    expect(asked).toHaveLength(1);
    t.out(ack);
    expect(asked).toEqual([
      [0xc0000001, 'seq-soft-limit'],
      [0xc0000002, 'seq-soft-limit'],
    ]);
    expect(t.toGateway).toEqual([]);
  });

  it('without a limit set, nothing is asked for in ordinary traffic', () => {
    const asked: number[] = [];
    const t = pair({ rekeyNeeded: (spi) => asked.push(spi) });
    for (let i = 0; i < 100; i++) t.out(withChecksum(ACK4));
    expect(asked).toEqual([]);
  });
});

describe('EspDataPlane.maxInnerLength', () => {
  it('follows the installed transform and the outer family', () => {
    const t = pair();
    expect(t.ours.maxInnerLength(1500, 4)).toBe(1438);
    expect(t.ours.maxInnerLength(1280, 6)).toBe(1198);
    const none = new EspDataPlane(
      () => undefined,
      () => undefined,
      random,
    );
    expect(none.maxInnerLength(1500, 4)).toBeUndefined();
  });
});

describe("EspDataPlane: the replay window size (the profile's replayWindow)", () => {
  /** The gateway sends `n` packets; we receive the last first, then older ones. */
  function lateArrivals(replayWindow: number | undefined) {
    const toTun: Uint8Array[] = [];
    const fromGateway: Uint8Array[] = [];
    const ours = new EspDataPlane(
      () => undefined,
      (p) => toTun.push(...p),
      random,
      replayWindow !== undefined ? { replayWindow } : {},
    );
    const gw = new EspDataPlane(
      (d) => fromGateway.push(...d),
      () => undefined,
      random,
    );
    ours.install(keys(0xc0000001, 0x50000001));
    gw.install(keys(0xc0000001, 0x50000001, true));
    const ack = withChecksum(ACK4);
    for (let i = 0; i < 100; i++) gw.outbound([ack]);
    ours.esp(fromGateway[99]!); // sequence number 100
    const opened = (seq: number) => {
      const before = toTun.length;
      ours.esp(fromGateway[seq - 1]!);
      return toTun.length > before;
    };
    return { opened, ours };
  }

  it('32: a packet 40 behind the newest is dropped, one 20 behind is accepted', () => {
    const t = lateArrivals(32);
    expect(t.opened(60)).toBe(false); // 100 − 60 = 40 ≥ 32
    expect(t.opened(80)).toBe(true); // 100 − 80 = 20 < 32
    expect(t.ours.stats().drops).toBe(1);
  });

  it('the default (128) accepts both', () => {
    const t = lateArrivals(undefined);
    expect(t.opened(60)).toBe(true);
    expect(t.opened(80)).toBe(true);
    expect(t.opened(80)).toBe(false); // a replay is still one
  });
});
