import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRedirectData,
  encodeRedirectData,
  redirectTargetOf,
} from '../../../../../native-helper/ike/message/redirect-data.js';
import { IkeSyntaxError } from '../../../../../native-helper/ike/message/codec.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

const NONCE = hex('4903ac3f47e133437514bb6cd857b85dba662b830f87dba7304b31e73816a302');

describe('REDIRECT / REDIRECTED_FROM data (RFC 5685 §8)', () => {
  it('encodes an IPv4 gateway with the Ni echoed: type 1, length 4, address, nonce', () => {
    const bytes = encodeRedirectData({
      target: { kind: 'ipv4', address: '192.0.2.7' },
      nonce: NONCE,
    });
    expect(toHex(bytes)).toBe(`0104c0000207${toHex(NONCE)}`);
    expect(decodeRedirectData(bytes)).toEqual({
      target: { kind: 'ipv4', address: '192.0.2.7' },
      nonce: NONCE,
    });
  });

  it('round-trips IPv6 and FQDN identities, without nonce (IKE_AUTH, INFORMATIONAL)', () => {
    for (const target of [
      { kind: 'ipv6', address: '2001:db8::7' } as const,
      { kind: 'fqdn', name: 'vpn2.example.com' } as const,
    ]) {
      const bytes = encodeRedirectData({ target, nonce: new Uint8Array(0) });
      expect(decodeRedirectData(bytes)).toEqual({ target, nonce: new Uint8Array(0) });
    }
    expect(
      toHex(
        encodeRedirectData({ target: { kind: 'fqdn', name: 'a.io' }, nonce: new Uint8Array(0) }),
      ),
    ).toBe('0304612e696f');
  });

  it('names the gateway we come from by its address (REDIRECTED_FROM)', () => {
    expect(redirectTargetOf('192.0.2.1')).toEqual({ kind: 'ipv4', address: '192.0.2.1' });
    expect(redirectTargetOf('2001:db8::1')).toEqual({ kind: 'ipv6', address: '2001:db8::1' });
  });

  it('lowercases a host name and drops its trailing dot', () => {
    const bytes = Uint8Array.from([3, 17, ...new TextEncoder().encode('VPN2.Example.COM.')]);
    expect(decodeRedirectData(bytes).target).toEqual({ kind: 'fqdn', name: 'vpn2.example.com' });
  });

  it('rejects bad input with typed errors naming the field', () => {
    const bad: [string, number[]][] = [
      ['empty', []],
      ['one byte', [1]],
      ['type 0', [0, 4, 1, 2, 3, 4]],
      ['type 4', [4, 4, 1, 2, 3, 4]],
      ['length beyond the data', [1, 4, 1, 2, 3]],
      ['IPv4 of 5 bytes', [1, 5, 1, 2, 3, 4, 5]],
      ['IPv6 of 4 bytes', [2, 4, 1, 2, 3, 4]],
      ['unspecified address', [1, 4, 0, 0, 0, 0]],
      ['broadcast address', [1, 4, 255, 255, 255, 255]],
      ['empty FQDN', [3, 0]],
      ['FQDN with a space', [3, 3, 0x61, 0x20, 0x62]],
      ['FQDN with an empty label', [3, 3, 0x61, 0x2e, 0x2e]],
      ['FQDN with a NUL', [3, 2, 0x61, 0]],
    ];
    for (const [, data] of bad)
      expectSyntaxError(() => decodeRedirectData(Uint8Array.from(data)), 'invalid-value');
  });

  it('never throws anything but IkeSyntaxError on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        try {
          const r = decodeRedirectData(data);
          expect(decodeRedirectData(encodeRedirectData(r))).toEqual(r);
        } catch (e) {
          expect(e).toBeInstanceOf(IkeSyntaxError);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
