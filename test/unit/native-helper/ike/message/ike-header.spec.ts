import { describe, expect, it } from 'vitest';
import {
  decodeIkeHeader,
  encodeIkeHeader,
} from '../../../../../native-helper/ike/message/ike-header.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

// Frame 2 of the capture: IKE_SA_INIT response header (Length 297) — here with a 0-byte body
// and Length patched to 28 so the header stands alone.
const HEADER = '3a47689d5f8bcfa6 90ee0cdda77c7b4c 21 20 22 20 00000000 0000001c';

describe('IKE header', () => {
  it('decodes the fields', () => {
    const h = decodeIkeHeader(hex(HEADER));
    expect(toHex(h.spiI)).toBe('3a47689d5f8bcfa6');
    expect(toHex(h.spiR)).toBe('90ee0cdda77c7b4c');
    expect(h).toMatchObject({
      nextPayload: 33,
      minorVersion: 0,
      exchangeType: 34,
      initiator: false,
      response: true,
      higherVersion: false,
      messageId: 0,
      length: 28,
    });
  });

  it('encodes to the same bytes', () => {
    expect(toHex(encodeIkeHeader(decodeIkeHeader(hex(HEADER))))).toBe(toHex(hex(HEADER)));
  });

  it('reads all three flags and a 32-bit message ID', () => {
    const h = decodeIkeHeader(
      hex('0102030405060708 1112131415161718 2e 20 25 38 fffffffe 0000001c'),
    );
    expect(h).toMatchObject({
      initiator: true,
      higherVersion: true,
      response: true,
      messageId: 0xfffffffe,
    });
  });

  it('rejects a truncated header', () => {
    for (let n = 0; n < 28; n++)
      expectSyntaxError(() => decodeIkeHeader(hex(HEADER).subarray(0, n)), 'truncated');
  });

  it('requires Length to equal the datagram length (both ways)', () => {
    const longer = new Uint8Array(29);
    longer.set(hex(HEADER));
    expectSyntaxError(() => decodeIkeHeader(longer), 'bad-length', 'length');
    const claimsMore = hex(HEADER);
    claimsMore[27] = 0x1d;
    expectSyntaxError(() => decodeIkeHeader(claimsMore), 'bad-length', 'length');
  });

  it('rejects major version ≠ 2 and ignores the minor version', () => {
    for (const v of [0x10, 0x30, 0xf0, 0x00]) {
      const b = hex(HEADER);
      b[17] = v;
      expectSyntaxError(() => decodeIkeHeader(b), 'unsupported-version', 'version');
    }
    const minor = hex(HEADER);
    minor[17] = 0x21;
    expect(decodeIkeHeader(minor).minorVersion).toBe(1);
    expect(encodeIkeHeader(decodeIkeHeader(minor))[17]).toBe(0x20);
  });

  it('refuses SPIs that are not 8 bytes', () => {
    const h = decodeIkeHeader(hex(HEADER));
    expectSyntaxError(() => encodeIkeHeader({ ...h, spiI: new Uint8Array(4) }), 'invalid-value');
  });
});
