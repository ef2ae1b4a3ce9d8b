import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  natDetectionHash,
  parseIpAddress,
} from '../../../../../native-helper/ike/crypto/nat-detection.js';
import { IkeCryptoError } from '../../../../../native-helper/ike/crypto/errors.js';
import { hex, toHex } from '../../../../support/hex.js';

const spiI = hex('3a47689d5f8bcfa6');
const spiR = hex('90ee0cdda77c7b4c');

describe('natDetectionHash = SHA-1(SPIi ‖ SPIr ‖ IP ‖ port)', () => {
  it('IPv4 (bytes and text give the same hash, matching a direct SHA-1)', () => {
    const expected = createHash('sha1')
      .update(hex('3a47689d5f8bcfa690ee0cdda77c7b4cc633640a01f4'))
      .digest('hex');
    expect(toHex(natDetectionHash(spiI, spiR, hex('c633640a'), 500))).toBe(expected);
    expect(toHex(natDetectionHash(spiI, spiR, '198.51.100.10', 500))).toBe(expected);
  });
  it('IPv6, with :: compression and an embedded IPv4 form', () => {
    const addr = hex('20010db8000000000000000000000001');
    const expected = createHash('sha1')
      .update(Buffer.concat([spiI, new Uint8Array(8), addr, hex('1194')]))
      .digest('hex');
    expect(toHex(natDetectionHash(spiI, new Uint8Array(8), addr, 4500))).toBe(expected);
    expect(toHex(natDetectionHash(spiI, new Uint8Array(8), '2001:db8::1', 4500))).toBe(expected);
    expect(toHex(natDetectionHash(spiI, new Uint8Array(8), '2001:0DB8:0:0:0:0:0:1', 4500))).toBe(
      expected,
    );
  });
  it('every input matters', () => {
    const base = toHex(natDetectionHash(spiI, spiR, '10.0.0.1', 500));
    expect(toHex(natDetectionHash(spiI, spiR, '10.0.0.1', 4500))).not.toBe(base);
    expect(toHex(natDetectionHash(spiI, spiR, '10.0.0.2', 500))).not.toBe(base);
    expect(toHex(natDetectionHash(spiI, new Uint8Array(8), '10.0.0.1', 500))).not.toBe(base);
    expect(toHex(natDetectionHash(spiR, spiI, '10.0.0.1', 500))).not.toBe(base);
  });
  it('parses addresses', () => {
    expect(toHex(parseIpAddress('::'))).toBe('00'.repeat(16));
    expect(toHex(parseIpAddress('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(toHex(parseIpAddress('fe80::1:2'))).toBe('fe800000000000000000000000010002');
    expect(toHex(parseIpAddress('0.0.0.0'))).toBe('00000000');
  });
  it('rejects bad input with typed errors', () => {
    for (const bad of [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
      '',
      'localhost',
    ]) {
      expect(() => parseIpAddress(bad)).toThrow(IkeCryptoError);
    }
    expect(() => natDetectionHash(spiI, spiR, new Uint8Array(5), 500)).toThrow(IkeCryptoError);
    expect(() => natDetectionHash(spiI, spiR, '1.2.3.4', 65536)).toThrow(IkeCryptoError);
    expect(() => natDetectionHash(spiI.subarray(1), spiR, '1.2.3.4', 500)).toThrow(IkeCryptoError);
  });
});
