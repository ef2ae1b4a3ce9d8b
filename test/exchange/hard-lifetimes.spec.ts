/**
 * Hard lifetimes (RFC 7296 §2.8; strongSwan's life_time after rekey_time): the soft lifetime
 * starts a rekey (80–90 % of the lifetime, with jitter); when the rekey has not completed by the
 * lifetime itself, the SA is not used any longer.
 *
 *   Child SA: remove-child-sa at once, INFORMATIONAL { D(ESP) } to the gateway, then a new Child SA
 *             (CREATE_CHILD_SA without REKEY_SA), as after the gateway deleted it.
 *   IKE SA:   INFORMATIONAL { D(IKE) }, then closed with sa-expired (the runtime re-establishes).
 *
 * A completed rekey moves the hard limit to the new SA's; nothing expires before its time.
 */
import { describe, expect, it } from 'vitest';
import type { IkeOutput } from '../../native-helper/ike/ike-events.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { be32, notify } from '../support/scripted-responder.js';
import { armed, closedReason, establish, of, onlySent, sends, timelineEvents } from './harness.js';

const HOUR = 3_600_000;
const last = (xs: number[]) => xs[xs.length - 1];

describe('Child SA hard lifetime', () => {
  it('a gateway that never answers the rekey: the SA is removed at the hard limit, not before', () => {
    // patient retransmissions, so the unanswered rekey is still in flight at the hard limit
    const x = establish({
      childLifetimeMs: HOUR,
      retransmit: { timeoutMs: 4_000, base: 1.8, tries: 12 },
    });
    const t0 = x.now;
    const sa = of(x.log, 'install-child-sa')[0]!.sa;
    const [hard] = armed(x.log, 'expire-child');
    expect(hard).toBe(t0 + HOUR);
    const [soft] = armed(x.log, 'rekey-child');
    expect(soft).toBeLessThan(hard!);

    // CREATE_CHILD_SA SK{ N(REKEY_SA), SA, Ni, TSi, TSr } -->   (no answer, ever)
    const seen: IkeOutput[] = [];
    let out = x.fire('rekey-child', soft);
    seen.push(...out);
    expect(x.gw.open(onlySent(out)).exchangeType).toBe(ExchangeType.CREATE_CHILD_SA);
    let retry = armed(out, 'retransmit')[0]!;
    while (retry < hard!) {
      out = x.fire('retransmit', retry);
      seen.push(...out);
      expect(sends(out)).toHaveLength(1); // the same request again
      retry = armed(out, 'retransmit')[0]!;
    }
    expect(of(seen, 'remove-child-sa')).toEqual([]);

    // the timer delivered a moment early (a runtime's rounding): nothing expires, it is re-armed
    const early = x.fire('expire-child', hard! - 1);
    expect(of(early, 'remove-child-sa')).toEqual([]);
    expect(armed(early, 'expire-child')).toEqual([hard]);

    const expired = x.fire('expire-child', hard);
    expect(of(expired, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: sa.spiIn, spiOut: sa.spiOut },
    ]);
    // the delete waits for the rekey in flight (one request at a time); the IKE SA lives on
    expect(sends(expired)).toEqual([]);
    expect(closedReason(expired)).toBeUndefined();
    expect(x.session.state).toBe('established');
    expect(timelineEvents(expired)).toContainEqual({
      kind: 'dropped',
      reason: expect.stringContaining('hard lifetime'),
    });
  });

  it('a gateway that refuses the rekey: at the hard limit D(ESP), then a new Child SA', () => {
    const x = establish({ childLifetimeMs: HOUR });
    const sa = of(x.log, 'install-child-sa')[0]!.sa;
    const [hard] = armed(x.log, 'expire-child');
    const [soft] = armed(x.log, 'rekey-child');
    //   CREATE_CHILD_SA SK{ N(REKEY_SA), … } -->   <-- SK{ N(NO_PROPOSAL_CHOSEN) }
    const req = x.gw.open(onlySent(x.fire('rekey-child', soft)));
    const refused = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))]),
    );
    expect(of(refused, 'remove-child-sa')).toEqual([]);
    expect(sends(refused)).toEqual([]);

    // INFORMATIONAL SK{ D(ESP, our inbound SPI) } -->
    const expired = x.fire('expire-child', hard);
    expect(of(expired, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: sa.spiIn, spiOut: sa.spiOut },
    ]);
    expect(armed(expired, 'expire-child')).toEqual([]);
    const del = x.gw.open(onlySent(expired));
    expect(del).toMatchObject({ exchangeType: ExchangeType.INFORMATIONAL, response: false });
    expect(del.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(sa.spiIn)] },
    ]);

    //   <-- INFORMATIONAL SK{ D(ESP, its inbound SPI) }
    // CREATE_CHILD_SA SK{ SA, Ni, TSi, TSr } -->   (a new Child SA: no REKEY_SA)
    const after = x.deliver(
      x.gw.respond(del, [
        { type: PayloadType.DELETE, protocolId: 3, spis: [be32(x.gw.childSas[0]!.spiResponder)] },
      ]),
    );
    expect(of(after, 'remove-child-sa')).toEqual([]); // not twice
    const { response, child, request } = x.gw.answerCreateChild(onlySent(after));
    expect(
      payloadsOf(request.payloads, PayloadType.NOTIFY).filter(
        (n) => n.notifyType === NotifyStatusType.REKEY_SA,
      ),
    ).toEqual([]);
    //   <-- CREATE_CHILD_SA SK{ SA, Nr, TSi, TSr }
    const fresh = x.deliver(response, hard! + 500);
    expect(of(fresh, 'install-child-sa')[0]!.sa).toMatchObject({
      spiIn: child.spiInitiator,
      spiOut: child.spiResponder,
      tsLocal: sa.tsLocal,
      tsRemote: sa.tsRemote,
    });
    expect(armed(fresh, 'expire-child')).toEqual([hard! + 500 + HOUR]);
    expect(armed(fresh, 'rekey-child')).toHaveLength(1);
    expect(x.session.state).toBe('established');
  });

  it('a completed rekey moves the hard limit to the new SA; the old limit expires nothing', () => {
    const x = establish({ childLifetimeMs: HOUR });
    const [hard] = armed(x.log, 'expire-child');
    const [soft] = armed(x.log, 'rekey-child');
    const { response } = x.gw.answerCreateChild(onlySent(x.fire('rekey-child', soft)));
    const done = x.deliver(response);
    const fresh = of(done, 'install-child-sa')[0]!.sa;
    const del = x.gw.open(onlySent(done));
    const gone = x.deliver(
      x.gw.respond(del, [
        { type: PayloadType.DELETE, protocolId: 3, spis: [be32(x.gw.childSas[0]!.spiResponder)] },
      ]),
    );
    expect(of(gone, 'remove-child-sa')).toHaveLength(1); // the old SA, by its delete
    // the hard timer now belongs to the new SA
    expect(last(armed(x.log, 'expire-child'))).toBe(soft! + HOUR);

    // a stale expiry at the old limit (a runtime that did not replace the timer) does nothing
    const stale = x.fire('expire-child', hard);
    expect(of(stale, 'remove-child-sa')).toEqual([]);
    expect(sends(stale)).toEqual([]);
    expect(armed(stale, 'expire-child')).toEqual([soft! + HOUR]);

    // …and the new SA expires at its own limit if its rekey never completes
    const later = x.fire('expire-child', soft! + HOUR);
    expect(of(later, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: fresh.spiIn, spiOut: fresh.spiOut },
    ]);
  });

  it('no lifetime, no hard limit', () => {
    const x = establish();
    expect(armed(x.log, 'expire-child')).toEqual([]);
    expect(armed(x.log, 'expire-ike')).toEqual([]);
  });
});

describe('IKE SA hard lifetime', () => {
  it('a refused IKE rekey: at the hard limit D(IKE), then closed with sa-expired', () => {
    const x = establish({ ikeLifetimeMs: HOUR });
    const t0 = x.now;
    const [hard] = armed(x.log, 'expire-ike');
    expect(hard).toBe(t0 + HOUR);
    const [soft] = armed(x.log, 'rekey-ike');
    //   CREATE_CHILD_SA SK{ SA(IKE), Ni, KEi } -->   <-- SK{ N(NO_PROPOSAL_CHOSEN) }
    const refused = x.deliver(
      x.gw.answerIkeRekey(onlySent(x.fire('rekey-ike', soft)), {
        refuse: NotifyErrorType.NO_PROPOSAL_CHOSEN,
      }),
    );
    expect(closedReason(refused)).toBeUndefined();

    const early = x.fire('expire-ike', hard! - 1);
    expect(sends(early)).toEqual([]);
    expect(armed(early, 'expire-ike')).toEqual([hard]);

    // INFORMATIONAL SK{ D(IKE) } -->
    const expired = x.fire('expire-ike', hard);
    const del = x.gw.open(onlySent(expired));
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(closedReason(expired)).toBeUndefined();
    //   <-- INFORMATIONAL SK{}
    const closed = x.deliver(x.gw.respond(del));
    expect(closedReason(closed)).toMatchObject({
      kind: 'failed',
      error: { code: 'sa-expired', detail: expect.stringContaining('3600 s') },
    });
    expect(of(closed, 'remove-child-sa')).toHaveLength(1);
    expect(x.session.state).toBe('closed');
  });

  it('a completed IKE rekey moves the hard limit; the old limit closes nothing', () => {
    const x = establish({ ikeLifetimeMs: HOUR });
    const [hard] = armed(x.log, 'expire-ike');
    const [soft] = armed(x.log, 'rekey-ike');
    const done = x.deliver(x.gw.answerIkeRekey(onlySent(x.fire('rekey-ike', soft))));
    expect(timelineEvents(done)).toContainEqual({ kind: 'ike-rekeyed', initiator: 'us' });
    expect(armed(done, 'expire-ike')).toEqual([soft! + HOUR]);
    x.deliver(x.gw.respond(x.gw.openOld(onlySent(done)), [], true));

    const stale = x.fire('expire-ike', hard);
    expect(sends(stale)).toEqual([]);
    expect(closedReason(stale)).toBeUndefined();
    expect(armed(stale, 'expire-ike')).toEqual([soft! + HOUR]);
    expect(x.session.state).toBe('established');
  });

  it("the gateway's IKE rekey moves the hard limit too", () => {
    const x = establish({ ikeLifetimeMs: HOUR });
    const out = x.deliver(x.gw.rekeyIke(), x.now + HOUR / 2);
    x.gw.completeIkeRekey(onlySent(out));
    expect(armed(out, 'expire-ike')).toEqual([x.now + HOUR]);
  });
});
