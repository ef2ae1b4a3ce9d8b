import { describe, expect, it } from 'vitest';
import {
  decodeUnknownPayload,
  encodeUnknownPayload,
} from '../../../../../native-helper/ike/message/unknown-payload.js';
import { hex, toHex } from '../../../../support/hex.js';

describe('unknown payload', () => {
  it('keeps the raw body and type', () => {
    const u = decodeUnknownPayload(hex('010203'), 1);
    expect(u).toEqual({ type: 'unknown', payloadType: 1, body: hex('010203') });
    expect(toHex(encodeUnknownPayload(u))).toBe('010203');
  });
});
