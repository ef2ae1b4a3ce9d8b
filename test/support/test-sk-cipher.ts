/**
 * Test-only SkCipher for ENCR_AES_GCM_16 with a 256-bit key (RFC 5282), on node:crypto.
 *
 *   keymat = key(32) ‖ salt(4); nonce = salt ‖ IV(8); AAD = associated data;
 *   body   = IV ‖ AES-GCM(inner ‖ padding(0) ‖ Pad Length=0) ‖ tag(16)
 *
 * The IV is a counter starting at `firstIv` (so a test can reproduce captured bytes).
 * open() never throws: anything malformed or forged gives undefined.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { SkCipher } from '../../native-helper/ike/crypto/sk-cipher.js';

const IV = 8;
const TAG = 16;

export class TestSkCipher implements SkCipher {
  private readonly key: Uint8Array;
  private readonly salt: Uint8Array;
  private iv: Uint8Array;
  /** Number of open() calls, for tests that check a fragment was verified. */
  opened = 0;

  constructor(keymat: Uint8Array, firstIv: Uint8Array = new Uint8Array(IV)) {
    if (keymat.length !== 36) throw new Error('AES-256-GCM keymat is 32 + 4 bytes');
    if (firstIv.length !== IV) throw new Error('IV is 8 bytes');
    this.key = keymat.slice(0, 32);
    this.salt = keymat.slice(32);
    this.iv = firstIv.slice();
  }

  sealedLength(innerLength: number): number {
    return IV + innerLength + 1 + TAG;
  }

  seal(associatedData: Uint8Array, inner: Uint8Array): Uint8Array {
    const iv = this.iv.slice();
    this.bumpIv();
    const c = createCipheriv('aes-256-gcm', this.key, this.nonce(iv), { authTagLength: TAG });
    c.setAAD(associatedData);
    const plain = new Uint8Array(inner.length + 1); // Pad Length 0
    plain.set(inner);
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const out = new Uint8Array(IV + ct.length + TAG);
    out.set(iv, 0);
    out.set(ct, IV);
    out.set(c.getAuthTag(), IV + ct.length);
    return out;
  }

  open(associatedData: Uint8Array, body: Uint8Array): Uint8Array | undefined {
    this.opened++;
    if (body.length < IV + 1 + TAG) return undefined;
    const iv = body.subarray(0, IV);
    const ct = body.subarray(IV, body.length - TAG);
    const tag = body.subarray(body.length - TAG);
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, this.nonce(iv), { authTagLength: TAG });
      d.setAAD(associatedData);
      d.setAuthTag(tag);
      const plain = new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
      const padLength = plain[plain.length - 1]!;
      if (padLength + 1 > plain.length) return undefined;
      return plain.slice(0, plain.length - 1 - padLength);
    } catch {
      return undefined;
    }
  }

  private nonce(iv: Uint8Array): Uint8Array {
    const n = new Uint8Array(12);
    n.set(this.salt, 0);
    n.set(iv, 4);
    return n;
  }

  private bumpIv(): void {
    for (let i = IV - 1; i >= 0; i--) {
      this.iv[i] = (this.iv[i]! + 1) & 0xff;
      if (this.iv[i] !== 0) break;
    }
  }
}
