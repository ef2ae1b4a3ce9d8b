/**
 * NAT detection and the timers: NAT keepalives, retransmission (RFC 7296 §2.1, strongSwan's
 * schedule by default), DPD (§2.4) and our own delete (§1.4.1).
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import {
  CLIENT,
  CLIENT_NATT,
  Exchange,
  GATEWAY_NATT,
  armed,
  closedReason,
  establish,
  of,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  timelineEvents,
} from './harness.js';

const NAT_PUBLIC = { address: '203.0.113.7', port: 31_337 };

describe('NAT detection', () => {
  it('reports a NAT in front of us when the responder saw another address', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    //             <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D_S), N(NAT_D_D = hash(203.0.113.7:31337)) }
    const out = x.deliver(x.gw.answerInit(init, CLIENT, { seenFrom: NAT_PUBLIC }));
    expect(timelineEvents(out)).toContainEqual({
      kind: 'nat-detected',
      local: true,
      remote: false,
      forced: true,
    });
    const done = x.deliverAll(x.gw.answerAuth(sentBytes(out)));
    expect(of(done, 'established')[0]!.config.natDetected).toEqual({ local: true, remote: false });
  });

  it('reports a NAT in front of the gateway when its source hash does not match', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const out = x.deliver(
      x.gw.answerInit(init, CLIENT, { selfAs: { address: '198.51.100.9', port: 500 } }),
    );
    const done = x.deliverAll(x.gw.answerAuth(sentBytes(out)));
    expect(of(done, 'established')[0]!.config.natDetected).toEqual({ local: false, remote: true });
  });

  it('forces UDP encapsulation: the responder always sees our NAT_D_S as NATed', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    x.gw.answerInit(onlySent(x.start()), CLIENT);
    expect(x.gw.initiatorBehindNat).toBe(true);
  });

  it('arms the NAT keepalive and sends one when it expires', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT, { seenFrom: NAT_PUBLIC })));
    const done = x.deliverAll(x.gw.answerAuth(auth));
    const t = x.now;
    expect(armed(done, 'natt-keepalive')).toEqual([t + 20_000]);
    // (20 s later) keepalive 0xff -->
    const ka = x.fire('natt-keepalive', t + 20_000);
    expect(of(ka, 'send-keepalive')).toEqual([
      { type: 'send-keepalive', from: CLIENT_NATT, to: GATEWAY_NATT },
    ]);
    expect(sends(ka)).toHaveLength(0);
    expect(armed(ka, 'natt-keepalive')).toEqual([t + 40_000]);
  });
});

describe('retransmission', () => {
  it('resends identical IKE_SA_INIT bytes on the default schedule, then gives up', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const t0 = x.now;
    // IKE_SA_INIT -->
    const first = x.start();
    const bytes = onlySent(first);
    expect(armed(first, 'retransmit')).toEqual([t0 + 4_000]);
    const waits = [7_200, 12_960, 23_328, 41_990, 75_583];
    let at = t0 + 4_000;
    for (const [i, wait] of waits.entries()) {
      // (timeout) IKE_SA_INIT -->   (the same bytes)
      const out = x.fire('retransmit', at);
      expect(onlySent(out)).toEqual(bytes);
      expect(timelineEvents(out)).toContainEqual({
        kind: 'retransmit',
        exchange: 'IKE_SA_INIT',
        attempt: i + 1,
      });
      expect(armed(out, 'retransmit')).toEqual([at + wait]);
      at += wait;
    }
    // (timeout) give up
    const out = x.fire('retransmit', at);
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'peer-unreachable',
        server: 'vpn.example.com',
        afterMs: 165_061,
        stage: 'IKE_SA_INIT',
        fragmentationHint: false,
      },
    });
  });

  function unansweredAuth(fragmentation: boolean, peerFragmentation: boolean) {
    const x = new Exchange(sessionConfig({ fragmentation }), responderFor());
    const init = onlySent(x.start());
    // IKE_AUTH -->  (never answered)
    const auth = x.deliver(x.gw.answerInit(init, CLIENT, { fragmentation: peerFragmentation }));
    const bytes = sentBytes(auth);
    let at = armed(auth, 'retransmit')[0]!;
    for (let i = 0; i < 5; i++) {
      const out = x.fire('retransmit', at);
      expect(sentBytes(out)).toEqual(bytes);
      expect(sends(out).every((s) => s.nonEspMarker)).toBe(true);
      at = armed(out, 'retransmit')[0]!;
    }
    return closedReason(x.fire('retransmit', at));
  }

  it('hints at fragmentation when IKE_AUTH goes unanswered and it was not negotiated', () => {
    expect(unansweredAuth(false, false)).toMatchObject({
      kind: 'failed',
      error: { code: 'peer-unreachable', stage: 'IKE_AUTH', fragmentationHint: true },
    });
    expect(unansweredAuth(true, false)).toMatchObject({
      error: { code: 'peer-unreachable', fragmentationHint: true },
    });
  });

  it('does not hint at fragmentation when it was negotiated', () => {
    expect(unansweredAuth(true, true)).toMatchObject({
      error: { code: 'peer-unreachable', stage: 'IKE_AUTH', fragmentationHint: false },
    });
  });

  it('respects a custom policy', () => {
    const x = new Exchange(
      sessionConfig({ retransmit: { timeoutMs: 1_000, base: 2, tries: 2 } }),
      responderFor(),
    );
    const t0 = x.now;
    expect(armed(x.start(), 'retransmit')).toEqual([t0 + 1_000]);
    expect(armed(x.fire('retransmit', t0 + 1_000), 'retransmit')).toEqual([t0 + 3_000]);
    expect(armed(x.fire('retransmit', t0 + 3_000), 'retransmit')).toEqual([t0 + 7_000]);
    expect(closedReason(x.fire('retransmit', t0 + 7_000))).toMatchObject({
      error: { code: 'peer-unreachable', afterMs: 7_000 },
    });
  });

  it('ignores a stale retransmit timer once the response arrived', () => {
    const x = establish();
    expect(x.fire('retransmit', x.now + 4_000)).toEqual([]);
  });
});

describe('DPD', () => {
  it('sends an empty INFORMATIONAL after dpdDelay without inbound traffic', () => {
    const x = establish();
    const t = x.now;
    // (30 s idle) INFORMATIONAL SK{} -->
    const out = x.fire('dpd', t + 30_000);
    expect(timelineEvents(out)).toContainEqual({ kind: 'dpd-sent' });
    const req = x.gw.open(onlySent(out));
    expect(req).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      messageId: 2,
      response: false,
      initiator: true,
      payloads: [],
    });
    //             <-- INFORMATIONAL SK{}
    const back = x.deliver(x.gw.respond(req), t + 30_100);
    expect(of(back, 'cancel-timer').map((c) => c.timer)).toContain('retransmit');
    expect(armed(back, 'dpd')).toEqual([t + 60_100]);
    expect(closedReason(back)).toBeUndefined();
  });

  it('inbound traffic postpones the check', () => {
    const x = establish();
    const t = x.now;
    x.session.noteInboundTraffic(t + 20_000);
    const out = x.fire('dpd', t + 30_000);
    expect(sends(out)).toHaveLength(0);
    // Re-armed dpdDelay after the traffic (strongSwan: last_in + dpd_delay), not after now.
    const next = armed(out, 'dpd');
    expect(next).toEqual([t + 50_000]);
    // Traffic stops: the next expiry probes.
    expect(sends(x.fire('dpd', next[0]))).toHaveLength(1);
  });

  it('an unanswered liveness check ends in peer-unreachable', () => {
    const x = establish();
    let out = x.fire('dpd', x.now + 30_000);
    const bytes = onlySent(out);
    for (let i = 0; i < 5; i++) {
      out = x.fire('retransmit', armed(out, 'retransmit')[0]);
      expect(onlySent(out)).toEqual(bytes);
    }
    out = x.fire('retransmit', armed(out, 'retransmit')[0]);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'peer-unreachable', fragmentationHint: false },
    });
    expect(of(out, 'remove-child-sa')).toHaveLength(1);
  });

  it('is off with dpdDelayMs 0', () => {
    const x = establish({ dpdDelayMs: 0 });
    expect(armed(x.log, 'dpd')).toEqual([]);
    expect(x.fire('dpd', x.now + 60_000)).toEqual([]);
  });
});

describe('our close', () => {
  it('sends INFORMATIONAL { D(IKE) } and closes deleted-by-us on the response', () => {
    const x = establish();
    // INFORMATIONAL SK{ D(IKE) } -->
    const out = x.input({ type: 'close' });
    const req = x.gw.open(onlySent(out));
    expect(req.exchangeType).toBe(ExchangeType.INFORMATIONAL);
    expect(req.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(closedReason(out)).toBeUndefined();
    //             <-- INFORMATIONAL SK{}
    const done = x.deliver(x.gw.respond(req));
    expect(closedReason(done)).toEqual({ kind: 'deleted-by-us' });
    const child = of(x.log, 'install-child-sa')[0]!.sa;
    expect(of(done, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: child.spiIn, spiOut: child.spiOut },
    ]);
    expect(x.session.state).toBe('closed');
  });

  it('closes deleted-by-us after one retransmission when no response comes', () => {
    const x = establish();
    const out = x.input({ type: 'close' });
    const bytes = onlySent(out);
    const again = x.fire('retransmit', armed(out, 'retransmit')[0]);
    expect(onlySent(again)).toEqual(bytes);
    const done = x.fire('retransmit', armed(again, 'retransmit')[0]);
    expect(closedReason(done)).toEqual({ kind: 'deleted-by-us' });
  });

  it('closes at once before anything is authenticated', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    x.start();
    const out = x.input({ type: 'close' });
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toEqual({ kind: 'deleted-by-us' });
  });
});
