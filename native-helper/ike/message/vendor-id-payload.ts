/**
 * Vendor ID payload body (RFC 7296 §3.12).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Vendor ID (VID)                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: not empty. The content is opaque and never acted upon by the codec.
 */
import { invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export interface VendorIdPayload {
  type: typeof PayloadType.VENDOR_ID;
  vendorId: Uint8Array;
}

function verify(v: Uint8Array): void {
  if (v.length === 0)
    throw invalid('empty vendor ID', { payloadType: PayloadType.VENDOR_ID, field: 'vendor ID' });
}

export function decodeVendorIdPayload(body: Uint8Array): VendorIdPayload {
  verify(body);
  return { type: PayloadType.VENDOR_ID, vendorId: body.slice() };
}

export function encodeVendorIdPayload(p: VendorIdPayload): Uint8Array {
  verify(p.vendorId);
  return p.vendorId.slice();
}
