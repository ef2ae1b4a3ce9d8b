import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IKEV2_KEY_PAD,
  constantTimeEqual,
  pskAuth,
  signedOctets,
  verifyPskAuth,
} from '../../../../../native-helper/ike/crypto/auth.js';
import { hex, toHex } from '../../../../support/hex.js';

describe('PSK AUTH (RFC 7296 §2.15)', () => {
  it('the key pad is the 17 octets "Key Pad for IKEv2"', () => {
    expect(Buffer.from(IKEV2_KEY_PAD).toString('latin1')).toBe('Key Pad for IKEv2');
    expect(IKEV2_KEY_PAD.length).toBe(17);
  });

  it('signedOctets = message ‖ peer nonce ‖ prf(SK_p, ID body)', () => {
    const msg = hex('0102030405');
    const nonce = hex('aabbcc');
    const skP = hex('11'.repeat(48));
    const id = hex('01000000c0000201');
    const mac = createHmac('sha384', skP).update(id).digest('hex');
    expect(toHex(signedOctets(msg, nonce, 6, skP, id))).toBe('0102030405aabbcc' + mac);
  });

  it('AUTH = prf(prf(secret, key pad), octets), string or bytes secret', () => {
    const octets = hex('deadbeef');
    const inner = createHmac('sha512', 'secret').update('Key Pad for IKEv2').digest();
    const expected = createHmac('sha512', inner).update(octets).digest('hex');
    expect(toHex(pskAuth(7, 'secret', octets))).toBe(expected);
    expect(toHex(pskAuth(7, new TextEncoder().encode('secret'), octets))).toBe(expected);
    expect(verifyPskAuth(7, 'secret', octets, hex(expected))).toBe(true);
    expect(verifyPskAuth(7, 'Secret', octets, hex(expected))).toBe(false);
    expect(verifyPskAuth(7, 'secret', hex('deadbeee'), hex(expected))).toBe(false);
  });

  it('constantTimeEqual', () => {
    expect(constantTimeEqual(hex('0102'), hex('0102'))).toBe(true);
    expect(constantTimeEqual(hex('0102'), hex('0103'))).toBe(false);
    expect(constantTimeEqual(hex('0102'), hex('010200'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(constantTimeEqual(hex('80'), hex('00'))).toBe(false);
  });
});
