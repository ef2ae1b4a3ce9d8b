/**
 * espMaxInnerLength against real sealing: an inner packet of exactly that length seals into an
 * ESP-in-UDP datagram that fits the path MTU, and one block more does not.
 */
import { describe, expect, it } from 'vitest';
import {
  espMaxInnerLength,
  tcpMssFor,
  UDP_HEADER_BYTES,
} from '../../../../native-helper/esp/esp-overhead.js';
import { EspSa } from '../../../../native-helper/esp/esp-sa.js';
import {
  AUTH_HMAC_SHA2_256_128,
  AUTH_HMAC_SHA2_512_256,
  ENCR_AES_CBC,
  ENCR_AES_GCM_16,
  ENCR_CHACHA20_POLY1305,
  espEncrTransform,
  espIntegTransform,
  type EspEncrTransform,
  type EspIntegTransform,
} from '../../../../native-helper/esp/esp-transforms.js';

const random = { bytes: (n: number) => new Uint8Array(n).fill(0x5a) };

function ipv4Packet(length: number): Uint8Array {
  const p = new Uint8Array(length);
  p.set([0x45, 0, length >> 8, length & 0xff, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  return p;
}

function sealedDatagram(
  inner: number,
  outer: 4 | 6,
  encr: EspEncrTransform,
  integ?: EspIntegTransform,
): number {
  const sa = new EspSa({
    spi: 0x1234,
    encr,
    encrKey: new Uint8Array(encr.keymatLength).fill(7),
    random,
    ...(integ ? { integ, integKey: new Uint8Array(integ.keyLength).fill(9) } : {}),
  });
  const r = sa.seal(ipv4Packet(inner));
  if (r.kind !== 'packet') throw new Error(r.kind);
  return (outer === 4 ? 20 : 40) + UDP_HEADER_BYTES + r.packet.length;
}

const CASES: [string, EspEncrTransform, EspIntegTransform | undefined][] = [
  ['aes256gcm16', espEncrTransform(ENCR_AES_GCM_16, 256)!, undefined],
  ['chacha20poly1305', espEncrTransform(ENCR_CHACHA20_POLY1305)!, undefined],
  [
    'aes256-sha256',
    espEncrTransform(ENCR_AES_CBC, 256)!,
    espIntegTransform(AUTH_HMAC_SHA2_256_128),
  ],
  [
    'aes128-sha512',
    espEncrTransform(ENCR_AES_CBC, 128)!,
    espIntegTransform(AUTH_HMAC_SHA2_512_256),
  ],
];

describe('espMaxInnerLength', () => {
  it('known values on a 1500-byte path', () => {
    const [gcm, , cbc256, cbc512] = CASES;
    expect(espMaxInnerLength(1500, 4, gcm![1])).toBe(1438);
    expect(espMaxInnerLength(1500, 6, gcm![1])).toBe(1418);
    expect(espMaxInnerLength(1500, 4, cbc256![1], cbc256![2])).toBe(1422);
    expect(espMaxInnerLength(1500, 4, cbc512![1], cbc512![2])).toBe(1406);
    expect(espMaxInnerLength(1500, 6, cbc512![1], cbc512![2])).toBe(1390);
    expect(espMaxInnerLength(60, 4, gcm![1])).toBe(0);
  });

  for (const [name, encr, integ] of CASES)
    for (const outer of [4, 6] as const)
      it(`${name} over IPv${outer}: the largest inner packet fits, one block more does not`, () => {
        for (const mtu of [1280, 1300, 1400, 1454, 1492, 1500]) {
          const max = espMaxInnerLength(mtu, outer, encr, integ);
          expect(sealedDatagram(max, outer, encr, integ)).toBeLessThanOrEqual(mtu);
          expect(sealedDatagram(max + 1, outer, encr, integ)).toBeGreaterThan(mtu);
        }
      });
});

describe('tcpMssFor', () => {
  it('leaves room for the IP and TCP headers', () => {
    expect(tcpMssFor(1400, 4)).toBe(1360);
    expect(tcpMssFor(1400, 6)).toBe(1340);
    expect(tcpMssFor(1280, 6)).toBe(1220);
  });
});
