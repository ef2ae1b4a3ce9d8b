/**
 * Anti-replay window (RFC 4303 §3.4.3) kept as a ring of 32-bit words (RFC 6479): advancing the
 * window clears whole words instead of shifting a bitmap, so a jump costs at most one pass over
 * the ring and an in-window packet costs one word access.
 *
 * A sequence number `seq` is acceptable when it is new (> the highest committed, `top`), or within
 * the last `size` numbers (top − seq < size) and not yet seen. Sequence number 0 is never sent
 * (§3.3.3) and always rejected.
 *
 * `check` changes nothing; `commit` is called only after the packet authenticated
 * (ARCHITECTURE.md: check, authenticate, commit), so a forged packet never moves the window.
 *
 * Sequence numbers are plain numbers so that 64-bit ESN values (< 2^53) fit unchanged: with ESN
 * the SA would infer the high half from `top` (RFC 4303 Appendix A) and pass the full value here.
 */
const WORD_BITS = 32;

export const DEFAULT_REPLAY_WINDOW_SIZE = 128;
export const MAX_REPLAY_WINDOW_SIZE = 1 << 16;

export class ReplayWindow {
  /** Number of sequence numbers below and including `top` that are tracked. */
  readonly size: number;
  private readonly ring: Uint32Array;
  private readonly mask: number;
  private topSeq = 0;

  constructor(size: number = DEFAULT_REPLAY_WINDOW_SIZE) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_REPLAY_WINDOW_SIZE) {
      throw new RangeError(
        `replay window size must be an integer in 1..${MAX_REPLAY_WINDOW_SIZE}, got ${size}`,
      );
    }
    this.size = size;
    // One word more than the window needs, so the word holding `top` never shares bits with the
    // oldest tracked number (RFC 6479 §2); a power of two so the index is a mask.
    let words = 1;
    while (words < Math.ceil(size / WORD_BITS) + 1) words <<= 1;
    this.ring = new Uint32Array(words);
    this.mask = words - 1;
  }

  /** The highest committed sequence number (0 before the first). */
  get top(): number {
    return this.topSeq;
  }

  /** Whether `seq` would be accepted now. Changes nothing. */
  check(seq: number): boolean {
    if (seq <= 0 || !Number.isSafeInteger(seq)) return false;
    if (seq > this.topSeq) return true;
    if (this.topSeq - seq >= this.size) return false;
    const word = this.ring[Math.floor(seq / WORD_BITS) & this.mask]!;
    return (word & (1 << (seq % WORD_BITS))) === 0;
  }

  /**
   * Marks `seq` as received, advancing the window when it is new. Call only after `check(seq)`
   * returned true and the packet authenticated; a `seq` outside the window is ignored.
   */
  commit(seq: number): void {
    if (!this.check(seq)) return;
    const block = Math.floor(seq / WORD_BITS);
    if (seq > this.topSeq) {
      const topBlock = Math.floor(this.topSeq / WORD_BITS);
      const advance = block - topBlock;
      if (advance > this.mask) {
        this.ring.fill(0);
      } else {
        for (let b = topBlock + 1; b <= block; b++) this.ring[b & this.mask] = 0;
      }
      this.topSeq = seq;
    }
    const i = block & this.mask;
    this.ring[i] = this.ring[i]! | (1 << (seq % WORD_BITS));
  }
}
