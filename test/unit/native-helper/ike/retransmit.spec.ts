import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRANSMIT_POLICY,
  retransmitBudget,
  retransmitDelay,
} from '../../../../native-helper/ike/retransmit.js';

describe('retransmission schedule (RFC 7296 §2.1, strongSwan defaults)', () => {
  it('waits 4 s × 1.8^n and gives up after the fifth retransmission', () => {
    const waits = [0, 1, 2, 3, 4, 5].map((n) => retransmitDelay(n));
    expect(waits).toEqual([4000, 7200, 12960, 23328, 41990, 75583]);
    expect(retransmitDelay(6)).toBeUndefined();
  });

  it('matches strongSwan documented send times (0, 4, 11, 24, 47, 89 s) and give-up at 165 s', () => {
    let t = 0;
    const sends: number[] = [];
    for (let n = 0; n <= DEFAULT_RETRANSMIT_POLICY.tries; n++) {
      sends.push(Math.round(t / 1000));
      t += retransmitDelay(n)!;
    }
    expect(sends).toEqual([0, 4, 11, 24, 47, 89]);
    expect(Math.round(retransmitBudget() / 1000)).toBe(165);
  });

  it('follows a configured policy and rejects nonsense attempts', () => {
    const policy = { timeoutMs: 500, base: 2, tries: 2 };
    expect([0, 1, 2].map((n) => retransmitDelay(n, policy))).toEqual([500, 1000, 2000]);
    expect(retransmitBudget(policy)).toBe(3500);
    expect(retransmitDelay(-1)).toBeUndefined();
    expect(retransmitDelay(1.5)).toBeUndefined();
  });
});
