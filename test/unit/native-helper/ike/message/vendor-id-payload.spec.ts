import { describe, expect, it } from 'vitest';
import {
  decodeVendorIdPayload,
  encodeVendorIdPayload,
} from '../../../../../native-helper/ike/message/vendor-id-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

// strongSwan's vendor ID (MD5 of "strongSwan").
const VID = hex('882fe56d6fd20dbc2251613b2ebe5beb');

describe('Vendor ID payload', () => {
  it('decodes and re-encodes', () => {
    const v = decodeVendorIdPayload(VID);
    expect(toHex(v.vendorId)).toBe(toHex(VID));
    expect(toHex(encodeVendorIdPayload(v))).toBe(toHex(VID));
  });

  it('rejects an empty vendor ID', () => {
    expectSyntaxError(() => decodeVendorIdPayload(new Uint8Array(0)), 'invalid-value', 'vendor ID');
  });
});
