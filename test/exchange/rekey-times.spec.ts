/**
 * Rekey times from the profile (strongSwan's rekey_time and rand_time): we start a rekey at the
 * configured soft lifetime minus a random 0…jitter, on a fake clock; the lifetime stays the hard
 * limit. Only lifetimes configured: the rekey comes at 80–90 % of them, as before.
 *
 * The jitter is the session's only 1-byte draw from its injected randomness: pinning that byte to
 * 0 or 255 puts the rekey at exactly rekeyTime or rekeyTime − jitter.
 */
import { describe, expect, it } from 'vitest';
import type { Random } from '../../native-helper/ike/crypto/random.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { SeededRandom } from '../support/fixed-random.js';
import { armed, establish, of, onlySent, timelineEvents } from './harness.js';

const S = 1_000;

/** Seeded randomness whose 1-byte draws (the rekey jitter) are `jitterByte`. */
class PinnedJitter implements Random {
  private readonly inner: SeededRandom;
  constructor(
    private readonly jitterByte: number,
    seed = 'initiator',
  ) {
    this.inner = new SeededRandom(seed);
  }
  bytes(n: number): Uint8Array {
    return n === 1 ? Uint8Array.of(this.jitterByte) : this.inner.bytes(n);
  }
}

describe('rekey times and jitter from the profile', () => {
  it('Child SA: rekey at childRekeyMs − jitter (0 … rekeyJitterMs), hard limit at the lifetime', () => {
    const cfg = { childLifetimeMs: 120 * S, childRekeyMs: 100 * S, rekeyJitterMs: 8 * S };
    const none = establish({ ...cfg, random: new PinnedJitter(0) });
    expect(armed(none.log, 'rekey-child')).toEqual([none.now + 100 * S]);
    expect(armed(none.log, 'expire-child')).toEqual([none.now + 120 * S]);
    const full = establish({ ...cfg, random: new PinnedJitter(255) });
    expect(armed(full.log, 'rekey-child')).toEqual([full.now + 92 * S]);
    const half = establish({ ...cfg, random: new PinnedJitter(128) });
    const [mid] = armed(half.log, 'rekey-child');
    expect(mid! - half.now).toBeGreaterThan(92 * S);
    expect(mid! - half.now).toBeLessThan(100 * S);
  });

  it('the timer starts the rekey when the fake clock gets there, and the new Child SA gets the same schedule', () => {
    const x = establish({
      childLifetimeMs: 120 * S,
      childRekeyMs: 100 * S,
      rekeyJitterMs: 8 * S,
      random: new PinnedJitter(255),
    });
    const [at] = armed(x.log, 'rekey-child');
    // CREATE_CHILD_SA SK{ N(REKEY_SA), SA, Ni, TSi, TSr } -->
    const out = x.fire('rekey-child', at);
    const { response, request } = x.gw.answerCreateChild(onlySent(out));
    expect(request.exchangeType).toBe(ExchangeType.CREATE_CHILD_SA);
    //             <-- CREATE_CHILD_SA SK{ SA, Nr, TSi, TSr }
    const done = x.deliver(response);
    expect(timelineEvents(done)).toContainEqual(
      expect.objectContaining({ kind: 'child-rekeyed', initiator: 'us' }),
    );
    expect(of(done, 'install-child-sa')).toHaveLength(1);
    // the next rekey: the same soft lifetime (and jitter) from now, not 80–90 % of the lifetime
    expect(armed(done, 'rekey-child')).toEqual([x.now + 92 * S]);
  });

  it('IKE SA: rekey at ikeRekeyMs − jitter; jitter defaults to 10 % of the rekey time', () => {
    const exact = establish({
      ikeLifetimeMs: 600 * S,
      ikeRekeyMs: 500 * S,
      rekeyJitterMs: 0,
      random: new PinnedJitter(255),
    });
    expect(armed(exact.log, 'rekey-ike')).toEqual([exact.now + 500 * S]);
    expect(armed(exact.log, 'expire-ike')).toEqual([exact.now + 600 * S]);
    // no rekeyJitterMs: up to 10 % of 500 s
    const dflt = establish({
      ikeLifetimeMs: 600 * S,
      ikeRekeyMs: 500 * S,
      random: new PinnedJitter(255),
    });
    expect(armed(dflt.log, 'rekey-ike')).toEqual([dflt.now + 450 * S]);
    // CREATE_CHILD_SA SK{ SA(IKE), Ni, KEi } --> at that time
    const out = dflt.fire('rekey-ike', dflt.now + 450 * S);
    expect(dflt.gw.open(onlySent(out)).exchangeType).toBe(ExchangeType.CREATE_CHILD_SA);
  });

  it('only lifetimes: 80–90 % of them, the jitter spread over the last 10 % as before', () => {
    const HOUR = 3_600 * S;
    const early = establish({
      ikeLifetimeMs: 4 * HOUR,
      childLifetimeMs: HOUR,
      random: new PinnedJitter(255),
    });
    expect(armed(early.log, 'rekey-child')).toEqual([early.now + 0.8 * HOUR]);
    expect(armed(early.log, 'rekey-ike')).toEqual([early.now + 0.8 * 4 * HOUR]);
    const late = establish({
      ikeLifetimeMs: 4 * HOUR,
      childLifetimeMs: HOUR,
      random: new PinnedJitter(0),
    });
    expect(armed(late.log, 'rekey-child')).toEqual([late.now + 0.9 * HOUR]);
    expect(armed(late.log, 'rekey-ike')).toEqual([late.now + 0.9 * 4 * HOUR]);
    // a configured jitter without rekey times spreads below 90 % of the lifetime
    const spread = establish({
      childLifetimeMs: HOUR,
      rekeyJitterMs: 60 * S,
      random: new PinnedJitter(255),
    });
    expect(armed(spread.log, 'rekey-child')).toEqual([spread.now + 0.9 * HOUR - 60 * S]);
  });
});
