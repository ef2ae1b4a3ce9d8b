import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ID_DER_ASN1_DN,
  ID_FQDN,
  ID_IPV4_ADDR,
  ID_IPV6_ADDR,
  ID_KEY_ID,
  ID_RFC822_ADDR,
  decodeIdentity,
  dnEqual,
  encodeDn,
  encodeIdentity,
  formatIPv6,
  formatIdentity,
  identitiesEqual,
  parseIPv6,
  parseIdentity,
  type Identity,
} from '../../../../../native-helper/ike/crypto/identity.js';
import { hex, toHex } from '../../../../support/hex.js';

function id(text: string): Identity {
  const r = parseIdentity(text);
  if (!r.ok) throw new Error(r.reason);
  return r.identity;
}

describe('parseIdentity', () => {
  it('classifies strongSwan-style text', () => {
    expect(id('vpn.example.com')).toEqual({
      type: ID_FQDN,
      data: new TextEncoder().encode('vpn.example.com'),
    });
    expect(id('198.51.100.10')).toEqual({
      type: ID_IPV4_ADDR,
      data: Uint8Array.of(198, 51, 100, 10),
    });
    expect(id('alice@example.com').type).toBe(ID_RFC822_ADDR);
    expect(id('@vpn.example.com')).toEqual({
      type: ID_FQDN,
      data: new TextEncoder().encode('vpn.example.com'),
    });
    expect(id('@1.2.3.4').type).toBe(ID_FQDN);
    expect(id('@@alice@example.com')).toEqual({
      type: ID_RFC822_ADDR,
      data: new TextEncoder().encode('alice@example.com'),
    });
    expect(id('@#0123ab')).toEqual({ type: ID_KEY_ID, data: hex('0123ab') });
    expect(id('2001:db8::1')).toEqual({
      type: ID_IPV6_ADDR,
      data: hex('20010db8000000000000000000000001'),
    });
    expect(id('gateway').type).toBe(ID_FQDN);
  });

  it('encodes DNs as DER with the usual string types', () => {
    const dn = id('C=XX, O=Org, CN=vpn');
    expect(dn.type).toBe(ID_DER_ASN1_DN);
    // SEQUENCE { SET { SEQ { 2.5.4.6, PrintableString "XX" } }, SET { SEQ { 2.5.4.10, UTF8 "Org" } }, SET { SEQ { 2.5.4.3, UTF8 "vpn" } } }
    expect(toHex(dn.data)).toBe(
      '3029310b3009060355040613025858310c300a060355040a0c034f7267310c300a06035504030c0376706e',
    );
    expect(formatIdentity(dn)).toBe('C=XX, O=Org, CN=vpn');
    expect(identitiesEqual(dn, id('/C=XX/O=Org/CN=vpn'))).toBe(true);
    expect(formatIdentity(id('CN=a\\, b'))).toBe('CN=a\\, b');
  });

  it('rejects garbage with a reason', () => {
    for (const bad of [
      '',
      '   ',
      '%any',
      '@#',
      '@#abc',
      '@#zz',
      'FOO=bar',
      'CN=',
      'a b',
      'x@',
      '1:2:3',
      'héllo.com',
      '@',
    ]) {
      const r = parseIdentity(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it('does not take leading-zero or out-of-range dotted quads as IPv4', () => {
    expect(id('256.1.1.1').type).toBe(ID_FQDN);
    expect(id('01.2.3.4').type).toBe(ID_FQDN);
  });
});

describe('IPv6 text', () => {
  it('parses and formats (RFC 5952)', () => {
    expect(formatIPv6(parseIPv6('2001:0db8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(formatIPv6(parseIPv6('::')!)).toBe('::');
    expect(formatIPv6(parseIPv6('::1')!)).toBe('::1');
    expect(formatIPv6(parseIPv6('1::')!)).toBe('1::');
    expect(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(toHex(parseIPv6('::ffff:192.0.2.1')!)).toBe('00000000000000000000ffffc0000201');
    expect(toHex(parseIPv6('::192.0.2.1')!)).toBe('000000000000000000000000c0000201');
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':::', '1:2:3:4:5:6:7', 'g::1']) {
      expect(parseIPv6(bad), bad).toBeUndefined();
    }
  });
  it('round-trips random addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(toHex(parseIPv6(formatIPv6(b))!)).toBe(toHex(b));
      }),
    );
  });
});

describe('ID payload body', () => {
  it('encodes type ‖ RESERVED(3) ‖ data and decodes it back', () => {
    for (const text of [
      'vpn.example.com',
      '198.51.100.10',
      'alice@example.com',
      '2001:db8::1',
      'C=XX, O=Org, CN=vpn',
      '@#0123ab',
    ]) {
      const a = id(text);
      const body = encodeIdentity(a);
      expect(body[0]).toBe(a.type);
      expect(toHex(body.subarray(1, 4))).toBe('000000');
      const back = decodeIdentity(body);
      expect(back.ok).toBe(true);
      if (back.ok) expect(identitiesEqual(back.identity, a)).toBe(true);
    }
    expect(toHex(encodeIdentity(id('198.51.100.10')))).toBe('01000000c633640a');
  });

  it('rejects malformed bodies', () => {
    expect(decodeIdentity(hex('01000000c63364')).ok).toBe(false); // IPv4 of 3 bytes
    expect(decodeIdentity(hex('05000000c6336400')).ok).toBe(false); // IPv6 of 4 bytes
    expect(decodeIdentity(hex('0200000076700a6e')).ok).toBe(false); // control char in FQDN
    expect(decodeIdentity(hex('090000003003')).ok).toBe(false); // truncated DER
    expect(decodeIdentity(hex('0d00000000')).ok).toBe(false); // ID_NULL unsupported
    expect(decodeIdentity(hex('02000000')).ok).toBe(false); // empty
  });

  it('never throws on random bodies', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.constantFrom(1, 2, 3, 5, 9, 10, 11, 13),
        (data, type) => {
          const body = Uint8Array.of(type, 0, 0, 0, ...data);
          const r = decodeIdentity(body);
          if (r.ok) expect(typeof formatIdentity(r.identity)).toBe('string');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('identitiesEqual', () => {
  it('compares names case-insensitively and types strictly', () => {
    expect(identitiesEqual(id('VPN.example.com'), id('vpn.EXAMPLE.com'))).toBe(true);
    expect(identitiesEqual(id('vpn.example.com'), id('vpn.example.org'))).toBe(false);
    expect(identitiesEqual(id('@1.2.3.4'), id('1.2.3.4'))).toBe(false);
    expect(identitiesEqual(id('1.2.3.4'), id('1.2.3.4'))).toBe(true);
  });

  it('compares DNs attribute-wise regardless of string type, but in order', () => {
    const utf8 = encodeDn('C=XX, O=Org, CN=vpn');
    // The same DN with C as UTF8String and CN as PrintableString.
    const other = hex(
      '3029310b300906035504060c025858310c300a060355040a0c034f7267310c300a060355040313037670 6e'.replace(
        / /g,
        '',
      ),
    );
    expect(utf8.ok && dnEqual(utf8.der, other)).toBe(true);
    expect(identitiesEqual(id('C=XX, O=Org, CN=vpn'), id('C=XX, O=org, CN=VPN'))).toBe(true);
    expect(identitiesEqual(id('C=XX, O=Org, CN=vpn'), id('CN=vpn, O=Org, C=XX'))).toBe(false);
    expect(identitiesEqual(id('C=XX, O=Org, CN=vpn'), id('C=XX, O=Org'))).toBe(false);
    expect(identitiesEqual(id('C=XX, O=Org, CN=vpn'), id('C=XX, O=Org, OU=vpn'))).toBe(false);
  });
});
