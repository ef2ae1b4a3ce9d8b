/**
 * MD4 (RFC 1320). Only for MS-CHAPv2's NtPasswordHash (RFC 2759 §8.3): MD4 is broken and must
 * not be used for anything else. Pure, because OpenSSL 3 moved MD4 to the legacy provider
 * (node:crypto here has no "md4") and because the sans-I/O core needs it anyway.
 */

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

export function md4(message: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian (RFC 1320 §3.1–3.2).
  const paddedLength = ((message.length + 8) >>> 6) * 64 + 64;
  const padded = new Uint8Array(paddedLength);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedLength - 8, bitLength >>> 0, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 0x1_0000_0000), true);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);

  for (let off = 0; off < paddedLength; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = view.getUint32(off + i * 4, true);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    const w = (i: number): number => x[i] ?? 0;

    // Round 1: F(x,y,z) = xy | ~x z
    const f = (p: number, q: number, r: number): number => (p & q) | (~p & r);
    for (const k of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + w(k)) | 0, 3);
      d = rotl((d + f(a, b, c) + w(k + 1)) | 0, 7);
      c = rotl((c + f(d, a, b) + w(k + 2)) | 0, 11);
      b = rotl((b + f(c, d, a) + w(k + 3)) | 0, 19);
    }
    // Round 2: G(x,y,z) = xy | xz | yz, constant 0x5a827999
    const g = (p: number, q: number, r: number): number => (p & q) | (p & r) | (q & r);
    for (const k of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + w(k) + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + w(k + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + w(k + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + w(k + 12) + 0x5a827999) | 0, 13);
    }
    // Round 3: H(x,y,z) = x ^ y ^ z, constant 0x6ed9eba1
    const h = (p: number, q: number, r: number): number => p ^ q ^ r;
    for (const k of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + w(k) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + w(k + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + w(k + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + w(k + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, a >>> 0, true);
  ov.setUint32(4, b >>> 0, true);
  ov.setUint32(8, c >>> 0, true);
  ov.setUint32(12, d >>> 0, true);
  return out;
}
