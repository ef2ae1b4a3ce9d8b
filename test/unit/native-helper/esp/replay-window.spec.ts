import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLAY_WINDOW_SIZE,
  ReplayWindow,
} from '../../../../native-helper/esp/replay-window.js';

/** The obvious model: every committed number, and the highest. */
class NaiveWindow {
  private readonly seen = new Set<number>();
  private top = 0;
  constructor(private readonly size: number) {}
  check(seq: number): boolean {
    if (seq <= 0 || this.seen.has(seq)) return false;
    return seq > this.top || this.top - seq < this.size;
  }
  commit(seq: number): void {
    this.seen.add(seq);
    this.top = Math.max(this.top, seq);
  }
  get highest(): number {
    return this.top;
  }
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_SEQ = 0xffffffff;

/** A next sequence number drawn from a mix meant to hit every branch of the window. */
function nextSeq(rand: () => number, top: number, size: number, recent: number[]): number {
  const r = rand();
  const int = (n: number) => Math.floor(rand() * n);
  let seq: number;
  if (r < 0.3)
    seq = top + 1; // in order
  else if (r < 0.45)
    seq = top + 1 + int(4); // small loss
  else if (r < 0.65)
    seq = top - int(size + 2); // reordering, including just outside the window
  else if (r < 0.78)
    seq = recent.length ? recent[int(recent.length)]! : top; // duplicate
  else if (r < 0.86)
    seq = top + 1 + int(size * 4); // jump within a few windows
  else if (r < 0.91)
    seq = top + 1 + int(1 << 20); // far-future jump
  else if (r < 0.95)
    seq = top - size - int(1 << 16); // far in the past
  else seq = rand() < 0.5 ? 0 : top + 1 + int(2);
  return Math.min(MAX_SEQ, Math.max(0, seq));
}

function runAgainstModel(
  size: number,
  seed: number,
  steps: number,
  start: number,
): { accepted: number; rejected: number } {
  const rand = prng(seed);
  const w = new ReplayWindow(size);
  const m = new NaiveWindow(size);
  if (start > 0) {
    w.commit(start);
    m.commit(start);
  }
  const recent: number[] = [];
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < steps; i++) {
    const seq = nextSeq(rand, m.highest, size, recent);
    const expected = m.check(seq);
    const got = w.check(seq);
    if (got !== expected)
      throw new Error(
        `size ${size} seed ${seed} step ${i}: check(${seq}) = ${got}, model ${expected}, top ${m.highest}`,
      );
    // check() changes nothing: asking twice gives the same answer.
    if (w.check(seq) !== expected) throw new Error(`check(${seq}) changed its answer`);
    if (!expected) {
      rejected++;
      continue;
    }
    // One packet in ten is a forgery: checked, fails authentication, never committed.
    if (rand() < 0.1) continue;
    w.commit(seq);
    m.commit(seq);
    accepted++;
    if (w.top !== m.highest) throw new Error(`top ${w.top}, model ${m.highest}`);
    recent.push(seq);
    if (recent.length > 64) recent.shift();
  }
  return { accepted, rejected };
}

describe('ReplayWindow', () => {
  it('accepts new numbers, rejects 0, duplicates and numbers older than the window', () => {
    const w = new ReplayWindow(32);
    expect(w.size).toBe(32);
    expect(w.check(0)).toBe(false);
    expect(w.check(1)).toBe(true);
    w.commit(1);
    expect(w.check(1)).toBe(false);
    w.commit(100);
    expect(w.top).toBe(100);
    expect(w.check(69)).toBe(true); // 100 − 69 = 31 < 32
    expect(w.check(68)).toBe(false); // 32 behind: outside
    w.commit(69);
    expect(w.check(69)).toBe(false);
    expect(w.check(99)).toBe(true);
    expect(w.check(101)).toBe(true);
    expect(w.check(-1)).toBe(false);
    expect(w.check(1.5)).toBe(false);
    expect(new ReplayWindow().size).toBe(DEFAULT_REPLAY_WINDOW_SIZE);
    expect(DEFAULT_REPLAY_WINDOW_SIZE).toBe(128);
  });

  it('check() never changes state; commit() ignores numbers the window would reject', () => {
    const w = new ReplayWindow(64);
    expect(w.check(1_000_000)).toBe(true);
    expect(w.top).toBe(0);
    expect(w.check(1)).toBe(true);
    w.commit(500);
    w.commit(10); // outside the window: ignored, must not set a bit that aliases an in-window number
    expect(w.top).toBe(500);
    for (let s = 437; s < 500; s++) expect(w.check(s)).toBe(true);
    w.commit(500);
    expect(w.top).toBe(500);
  });

  it('a jump of more than the whole ring clears it', () => {
    const w = new ReplayWindow(128);
    for (let s = 1; s <= 200; s++) w.commit(s);
    w.commit(10_000);
    for (let s = 10_000 - 127; s < 10_000; s++) expect(w.check(s)).toBe(true);
    expect(w.check(10_000 - 128)).toBe(false);
    expect(w.check(10_000)).toBe(false);
  });

  it('handles the last 32-bit sequence numbers and beyond (ESN-sized values)', () => {
    const w = new ReplayWindow(64);
    w.commit(MAX_SEQ - 1);
    expect(w.check(MAX_SEQ)).toBe(true);
    w.commit(MAX_SEQ);
    expect(w.check(MAX_SEQ - 1)).toBe(false);
    expect(w.check(MAX_SEQ - 2)).toBe(true);
    expect(w.check(MAX_SEQ + 1)).toBe(true);
    w.commit(2 ** 40 + 5);
    expect(w.check(2 ** 40 + 5)).toBe(false);
    expect(w.check(2 ** 40 + 4)).toBe(true);
  });

  it('validates its size', () => {
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(1.5)).toThrow(RangeError);
    expect(() => new ReplayWindow(1 << 17)).toThrow(RangeError);
    expect(new ReplayWindow(4096).size).toBe(4096);
  });

  it.each([32, 64, 128, 1024, 4096, 33, 100])(
    'agrees with a naive model on 20 000 seeded random packets (window %i)',
    (size) => {
      let accepted = 0;
      let rejected = 0;
      // The last run starts near the end of the 32-bit space (sequence numbers up to 2^32 − 1).
      for (const [seed, start] of [
        [1, 0],
        [2, 0],
        [3, 1000],
        [4, MAX_SEQ - 2 ** 28],
      ] as const) {
        const r = runAgainstModel(size, seed * 7919 + size, 5_000, start);
        accepted += r.accepted;
        rejected += r.rejected;
      }
      // The mix exercises both outcomes substantially.
      expect(accepted).toBeGreaterThan(5_000);
      expect(rejected).toBeGreaterThan(3_000);
    },
  );

  it('agrees with a naive model on arbitrary sequences (fast-check)', () => {
    const step = fc.record({
      delta: fc.oneof(
        fc.integer({ min: -2000, max: 40 }),
        fc.integer({ min: 1, max: 1 << 22 }),
        fc.constantFrom(0, -1, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129),
      ),
      absolute: fc.boolean(),
      authentic: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(32, 64, 128, 1024),
        fc.array(step, { minLength: 1, maxLength: 300 }),
        (size, steps) => {
          const w = new ReplayWindow(size);
          const m = new NaiveWindow(size);
          for (const s of steps) {
            const seq = Math.max(0, s.absolute ? Math.abs(s.delta) : m.highest + s.delta);
            const ok = m.check(seq);
            if (w.check(seq) !== ok) return false;
            if (ok && s.authentic) {
              w.commit(seq);
              m.commit(seq);
            }
          }
          return w.top === m.highest;
        },
      ),
      { numRuns: 300, seed: 4303 },
    );
  });
});
