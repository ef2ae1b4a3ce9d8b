/**
 * Key Exchange payload body (RFC 7296 §3.4).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: data not empty; for the groups whose public value has a fixed size, exactly that size
 * (RFC 3526/5903/8031; ML-KEM: encapsulation key or ciphertext). Unknown groups are kept (the
 * task answers INVALID_KE_PAYLOAD); whether the group is the negotiated one is the task's check.
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export interface KePayload {
  type: typeof PayloadType.KE;
  group: number;
  data: Uint8Array;
}

/** Allowed Key Exchange Data lengths per group number. */
const KE_LENGTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [2, [128]], // MODP 1024
  [5, [192]], // MODP 1536
  [14, [256]], // MODP 2048
  [15, [384]], // MODP 3072
  [16, [512]], // MODP 4096
  [17, [768]], // MODP 6144
  [18, [1024]], // MODP 8192
  [19, [64]], // ECP 256: x ‖ y
  [20, [96]], // ECP 384
  [21, [132]], // ECP 521
  [31, [32]], // Curve25519
  [32, [56]], // Curve448
  [35, [800, 768]], // ML-KEM-512: encapsulation key / ciphertext
  [36, [1184, 1088]], // ML-KEM-768
  [37, [1568]], // ML-KEM-1024 (both 1568)
]);

const where = { payloadType: PayloadType.KE };

function verify(p: KePayload): void {
  if (p.data.length === 0)
    throw invalid('empty Key Exchange Data', { ...where, field: 'key exchange data' });
  const lengths = KE_LENGTHS.get(p.group);
  if (lengths && !lengths.includes(p.data.length)) {
    throw invalid(`group ${p.group}: ${p.data.length} bytes of key exchange data`, {
      ...where,
      field: 'key exchange data',
    });
  }
}

export function decodeKePayload(body: Uint8Array): KePayload {
  const r = new ByteReader(body, where);
  const group = r.u16('group');
  r.skip(2);
  const p: KePayload = { type: PayloadType.KE, group, data: r.rest() };
  verify(p);
  return p;
}

export function encodeKePayload(p: KePayload): Uint8Array {
  verify(p);
  return new ByteWriter(4 + p.data.length).u16(p.group, 'group').u16(0).bytes(p.data).finish();
}
