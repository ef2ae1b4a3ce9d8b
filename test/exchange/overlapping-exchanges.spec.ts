/**
 * Exchanges that overlap (RFC 7296 §2.3: one request of ours outstanding at a time, the
 * gateway's requests answered meanwhile), queued requests, and late or replayed answers.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import {
  CLIENT,
  Exchange,
  closedReason,
  establish,
  of,
  onlyDropped,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  timelineEvents,
} from './harness.js';

describe('overlapping exchanges', () => {
  it('answers the gateway while our liveness check is outstanding', () => {
    const x = establish();
    // INFORMATIONAL SK{} -->   (ours, message ID 2)
    const ping = x.gw.open(onlySent(x.input({ type: 'probe' })));
    expect(ping.messageId).toBe(2);
    //             <-- INFORMATIONAL SK{}   (theirs, message ID 0)
    // INFORMATIONAL SK{} -->   (our response)
    const theirs = x.gw.open(onlySent(x.deliver(x.gw.liveness())));
    expect(theirs).toMatchObject({ response: true, messageId: 0 });
    //             <-- INFORMATIONAL SK{}   (their response to ours)
    const back = x.deliver(x.gw.respond(ping));
    expect(of(back, 'cancel-timer').map((c) => c.timer)).toContain('retransmit');
    // A second copy of that response is no longer expected.
    expect(onlyDropped(x.deliver(x.gw.respond(ping)))).toBe(true);
  });

  it('queues a probe behind an outstanding request and sends it after the response', () => {
    const x = establish();
    const first = x.gw.open(onlySent(x.input({ type: 'probe' })));
    // (probe again while ID 2 is outstanding: nothing goes out yet)
    expect(sends(x.input({ type: 'probe' }))).toHaveLength(0);
    //             <-- INFORMATIONAL SK{}
    // INFORMATIONAL SK{} -->   (the queued one, message ID 3)
    const next = x.deliver(x.gw.respond(first));
    expect(x.gw.open(onlySent(next))).toMatchObject({ messageId: 3, response: false });
  });

  it('our close supersedes an outstanding liveness check; its late answer is dropped', () => {
    const x = establish();
    const ping = x.gw.open(onlySent(x.input({ type: 'probe' })));
    // INFORMATIONAL SK{ D(IKE) } -->   (message ID 3)
    const del = x.gw.open(onlySent(x.input({ type: 'close' })));
    expect(del.messageId).toBe(3);
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    //             <-- INFORMATIONAL SK{}   (late answer to ID 2)
    const late = x.deliver(x.gw.respond(ping));
    expect(closedReason(late)).toBeUndefined();
    expect(onlyDropped(late)).toBe(true);
    //             <-- INFORMATIONAL SK{}   (answer to the delete)
    expect(closedReason(x.deliver(x.gw.respond(del)))).toEqual({ kind: 'deleted-by-us' });
  });

  it('the gateway deletes the IKE SA while our request is outstanding', () => {
    const x = establish();
    x.input({ type: 'probe' });
    //             <-- INFORMATIONAL SK{ D(IKE) }
    const out = x.deliver(x.gw.deleteIke());
    expect(x.gw.open(onlySent(out))).toMatchObject({ response: true, payloads: [] });
    expect(closedReason(out)).toEqual({ kind: 'deleted-by-peer' });
    expect(of(out, 'cancel-timer').map((c) => c.timer)).toContain('retransmit');
    // Closed: nothing more happens.
    expect(x.fire('retransmit', x.now + 4_000)).toEqual([]);
    expect(x.deliver(x.gw.liveness())).toEqual([]);
  });

  it('replays of the IKE_SA_INIT and IKE_AUTH answers after establishment are dropped', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const initAnswer = x.gw.answerInit(init, CLIENT);
    const auth = sentBytes(x.deliver(initAnswer));
    const authAnswer = x.gw.answerAuth(auth);
    x.deliverAll(authAnswer);
    expect(x.session.state).toBe('established');
    expect(onlyDropped(x.deliver(initAnswer))).toBe(true);
    expect(onlyDropped(x.deliver(authAnswer[0]!))).toBe(true);
    expect(of(x.log, 'install-child-sa')).toHaveLength(1);
  });

  it('a genuine gateway request before IKE_AUTH completes is dropped, not answered', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    //             <-- INFORMATIONAL SK{ D(IKE) }   (authenticated by SK_er, but too early)
    const early = x.deliver(x.gw.deleteIke());
    expect(timelineEvents(early)).toEqual([
      { kind: 'dropped', reason: 'request before the IKE SA is established' },
    ]);
    expect(x.session.state).toBe('ike-auth');
    const done = x.deliverAll(x.gw.answerAuth(auth));
    expect(of(done, 'established')).toHaveLength(1);
    // The gateway's next request must still be message ID 0: the early one did not count.
    x.gw.nextRequestId = 0;
    expect(x.gw.open(onlySent(x.deliver(x.gw.liveness())))).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      messageId: 0,
    });
  });
});
