/**
 * Deterministic randomness for exchange tests: SHA-256(seed ‖ counter) blocks, so every SPI,
 * nonce, IV and key-exchange secret (and therefore every byte on the wire) is reproducible.
 */
import { createHash } from 'node:crypto';
import type { Random } from '../../native-helper/ike/crypto/random.js';

export class SeededRandom implements Random {
  private counter = 0;
  /** Bytes handed out so far (a test can tell whether a step drew randomness). */
  drawn = 0;

  constructor(private readonly seed: string) {}

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(`${this.seed}/${this.counter++}`).digest();
      const take = Math.min(block.length, n - off);
      out.set(block.subarray(0, take), off);
      off += take;
    }
    this.drawn += n;
    return out;
  }
}
