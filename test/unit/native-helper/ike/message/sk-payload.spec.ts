import { describe, expect, it } from 'vitest';
import { decodeSkPayload } from '../../../../../native-helper/ike/message/sk-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

describe('SK payload', () => {
  it('keeps the first inner payload type and the opaque body', () => {
    const sk = decodeSkPayload(hex('2bbb4170c1c456ea 00 112233'), 35);
    expect(sk.firstPayload).toBe(35);
    expect(toHex(sk.body)).toBe('2bbb4170c1c456ea00112233');
  });

  it('rejects an empty body', () => {
    expectSyntaxError(() => decodeSkPayload(new Uint8Array(0), 0), 'invalid-value');
  });
});
