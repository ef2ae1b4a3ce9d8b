/**
 * Rekey collisions (RFC 7296 §2.8.1, §2.25): both sides rekey the same SA at once, the gateway
 * deletes what we are rekeying, one side rekeys what the other is closing. The gateway's nonces
 * are chosen per test (all 0x00 or all 0xff) so the "lowest of the four nonces" is known:
 *
 *   ours    CREATE_CHILD_SA { N(REKEY_SA), SA, Ni(us), … }  -->   <-- { SA, Nr(gw), … }
 *   theirs  <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni(gw), … }     { SA, Nr(us), … }  -->
 *
 * The SA created with the lowest of the four nonces is redundant and its creator deletes it; the
 * creator of the surviving SA deletes the old one (strongSwan's test_child_rekey.c "collision"
 * and test_ike_rekey.c "collision" cases).
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { createdRedundant } from '../../native-helper/ike/ike-session.js';
import { be16, be32, notify } from '../support/scripted-responder.js';
import {
  armed,
  closedReason,
  establish,
  of,
  onlyDropped,
  onlySent,
  sends,
  timelineEvents,
} from './harness.js';

const LOW = new Uint8Array(32); // 00…00: lower than any nonce we draw
const HIGH = new Uint8Array(32).fill(0xff); // ff…ff: higher than any
const HOUR = 3_600_000;
const D_IKE = { type: PayloadType.DELETE, protocolId: 1, spis: [] };

describe('the lowest-nonce rule', () => {
  it('orders nonces as memcmp over the shorter length, shorter first on a tie', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(1, 2, 4);
    expect(createdRedundant([a, b], [b, Uint8Array.of(9)])).toBe(true);
    expect(createdRedundant([b, Uint8Array.of(9)], [a, b])).toBe(false);
    expect(createdRedundant([Uint8Array.of(1, 2)], [a])).toBe(true);
  });
});

describe('simultaneous Child SA rekey', () => {
  /** Both rekeys of the one Child SA in flight: ours sent, theirs answered by us. */
  function crossed(gatewayNi: Uint8Array) {
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    // CREATE_CHILD_SA SK{ N(REKEY_SA, old.spiIn), SA, Ni(us), TSi, TSr } -->   (held)
    const ours = onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' }));
    //             <-- CREATE_CHILD_SA SK{ N(REKEY_SA, gw old SPI), SA, Ni(gw), TSi, TSr }
    // CREATE_CHILD_SA SK{ SA, Nr(us), TSi, TSr } -->   (we answer as usual, §2.25.1)
    const answered = x.deliver(x.gw.rekeyChild(x.gw.childSas[0]!, undefined, { nonce: gatewayNi }));
    const theirs = x.gw.completeRekey(onlySent(answered));
    const [theirInstall] = of(answered, 'install-child-sa');
    expect(theirInstall!.sa).toMatchObject({
      spiIn: theirs.spiInitiator,
      spiOut: theirs.spiResponder,
    });
    // Nothing is deleted yet: the winner is known only with our answer.
    expect(of(answered, 'remove-child-sa')).toHaveLength(0);
    return { x, old, ours, theirs };
  }

  it('ours survives when theirs used the lowest nonce: we delete the old SA, they delete theirs', () => {
    const { x, old, ours, theirs } = crossed(LOW);
    //             <-- CREATE_CHILD_SA SK{ SA, Nr(gw = ff…), TSi, TSr }
    const { response, child: mine } = x.gw.answerCreateChild(ours, { nonce: HIGH });
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')[0]!.sa).toMatchObject({ spiIn: mine.spiInitiator });
    expect(timelineEvents(done)).toContainEqual({
      kind: 'child-rekeyed',
      initiator: 'us',
      spiIn: mine.spiInitiator,
    });
    // INFORMATIONAL SK{ D(ESP, old spiIn) } -->   (the old SA, not the redundant one)
    const del = x.gw.open(onlySent(done));
    expect(del.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(old.spiIn)] },
    ]);
    expect(of(x.deliver(x.gw.respond(del)), 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);
    //             <-- INFORMATIONAL SK{ D(ESP, its redundant SA) }
    // INFORMATIONAL SK{ D(ESP, our side of it) } -->
    const gone = x.deliver(x.gw.deleteChild(theirs.spiResponder));
    expect(of(gone, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: theirs.spiInitiator, spiOut: theirs.spiResponder },
    ]);
    expect(x.gw.open(onlySent(gone)).payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(theirs.spiInitiator)] },
    ]);
    // The survivor is ours: the next rekey names it.
    const next = x.input({ type: 'rekey-child', spiIn: mine.spiInitiator, reason: 'lifetime' });
    expect(x.gw.open(onlySent(next)).payloads[0]).toMatchObject({
      notifyType: NotifyStatusType.REKEY_SA,
      spi: be32(mine.spiInitiator),
    });
  });

  it('theirs survives when ours used the lowest nonce: we delete ours, they delete the old SA', () => {
    const { x, old, ours, theirs } = crossed(HIGH);
    //             <-- CREATE_CHILD_SA SK{ SA, Nr(gw = 00…), TSi, TSr }
    const { response, child: mine } = x.gw.answerCreateChild(ours, { nonce: LOW });
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')).toHaveLength(1); // installed, then deleted: it exists on the gateway
    // INFORMATIONAL SK{ D(ESP, our redundant SA's spiIn) } -->   (not the old SA)
    const del = x.gw.open(onlySent(done));
    expect(del.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(mine.spiInitiator)] },
    ]);
    expect(of(x.deliver(x.gw.respond(del)), 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: mine.spiInitiator, spiOut: mine.spiResponder },
    ]);
    //             <-- INFORMATIONAL SK{ D(ESP, old) }   (the winner deletes the old SA)
    const gone = x.deliver(x.gw.deleteChild(x.gw.childSas[0]!.spiResponder));
    expect(of(gone, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);
    // The survivor is theirs.
    const next = x.input({ type: 'rekey-child', spiIn: theirs.spiInitiator, reason: 'lifetime' });
    expect(x.gw.open(onlySent(next)).payloads[0]).toMatchObject({
      spi: be32(theirs.spiInitiator),
    });
    expect(x.session.state).toBe('established');
  });

  it('the gateway refuses ours with TEMPORARY_FAILURE: its rekey stands, nothing is retried', () => {
    const { x, old, ours } = crossed(HIGH);
    //             <-- CREATE_CHILD_SA SK{ N(TEMPORARY_FAILURE) }
    const req = x.gw.open(ours);
    const out = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.TEMPORARY_FAILURE, new Uint8Array(0))]),
    );
    expect(sends(out)).toHaveLength(0);
    expect(armed(out, 'rekey-child')).toEqual([]);
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    // the gateway deletes the old SA as the survivor's creator
    const gone = x.deliver(x.gw.deleteChild(x.gw.childSas[0]!.spiResponder));
    expect(of(gone, 'remove-child-sa')[0]).toMatchObject({ spiIn: old.spiIn });
  });
});

describe('Child SA rekey refused or overtaken', () => {
  it('TEMPORARY_FAILURE alone: retries after 5–15 s drawn from the injected randomness', () => {
    const x = establish({ childLifetimeMs: HOUR });
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const req = x.gw.open(
      onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' })),
    );
    const t = x.now;
    //             <-- CREATE_CHILD_SA SK{ N(TEMPORARY_FAILURE) }
    const out = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.TEMPORARY_FAILURE, new Uint8Array(0))]),
    );
    const [at] = armed(out, 'rekey-child');
    expect(at).toBeGreaterThanOrEqual(t + 5_000);
    expect(at).toBeLessThanOrEqual(t + 15_000);
    expect(closedReason(out)).toBeUndefined();
    // CREATE_CHILD_SA SK{ N(REKEY_SA, the same SA), … } -->   (the retry)
    const again = x.gw.open(onlySent(x.fire('rekey-child', at)));
    expect(again.payloads[0]).toMatchObject({ spi: be32(old.spiIn) });
  });

  it('the retry delay differs with the randomness (it is not a constant)', () => {
    const delays = ['a', 'b', 'c', 'd'].map((seed) => {
      const x = establish({ seed });
      const old = of(x.log, 'install-child-sa')[0]!.sa;
      const req = x.gw.open(
        onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' })),
      );
      const out = x.deliver(
        x.gw.respond(req, [notify(NotifyErrorType.TEMPORARY_FAILURE, new Uint8Array(0))]),
      );
      return armed(out, 'rekey-child')[0]! - x.now;
    });
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('NO_PROPOSAL_CHOSEN: keeps the current Child SA, no retry loop, the IKE SA stays', () => {
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const req = x.gw.open(
      onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' })),
    );
    const out = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))]),
    );
    expect(onlyDropped(out.filter((o) => o.type !== 'cancel-timer'))).toBe(true);
    expect(armed(out, 'rekey-child')).toEqual([]);
    expect(of(out, 'remove-child-sa')).toEqual([]);
    expect(timelineEvents(out)[0]).toMatchObject({
      kind: 'dropped',
      reason: expect.stringContaining('keeping the current Child SA'),
    });
    expect(x.session.state).toBe('established');
  });

  it('INVALID_KE_PAYLOAD naming another group we offered: at once again with that group', () => {
    const x = establish({ esp: 'aes256gcm16-x25519-ecp256' });
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const req = x.gw.open(
      onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' })),
    );
    expect(payloadsOf(req.payloads, PayloadType.KE)[0]!.group).toBe(31);
    //             <-- CREATE_CHILD_SA SK{ N(INVALID_KE_PAYLOAD, 19) }
    // CREATE_CHILD_SA SK{ N(REKEY_SA), SA, Ni, KEi(19), TSi, TSr } -->
    const again = onlySent(
      x.deliver(x.gw.respond(req, [notify(NotifyErrorType.INVALID_KE_PAYLOAD, be16(19))])),
    );
    const retry = x.gw.open(again);
    expect(payloadsOf(retry.payloads, PayloadType.KE)[0]!.group).toBe(19);
    expect(payloadsOf(retry.payloads, PayloadType.NOTIFY)[0]).toMatchObject({
      notifyType: NotifyStatusType.REKEY_SA,
      spi: be32(old.spiIn),
    });
    const { response, child } = x.gw.answerCreateChild(again);
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')[0]!.sa).toMatchObject({ spiIn: child.spiInitiator });
    expect(of(done, 'install-child-sa')[0]!.sa.encrKeyIn).toEqual(child.keys.encrR);
  });

  it('INVALID_KE_PAYLOAD naming a group we did not offer: not followed, the SA is kept', () => {
    const x = establish({ esp: 'aes256gcm16-x25519' });
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const req = x.gw.open(
      onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' })),
    );
    const out = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.INVALID_KE_PAYLOAD, be16(14))]),
    );
    expect(sends(out)).toHaveLength(0);
    expect(of(out, 'remove-child-sa')).toEqual([]);
    expect(x.session.state).toBe('established');
  });

  it('the gateway deletes the SA while our rekey is in flight: answered, and not deleted twice', () => {
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const ours = onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' }));
    //             <-- INFORMATIONAL SK{ D(ESP, old) }
    // INFORMATIONAL SK{ D(ESP, old.spiIn) } -->   (answered as usual, §2.25.1)
    const del = x.deliver(x.gw.deleteChild(x.gw.childSas[0]!.spiResponder));
    expect(of(del, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);
    expect(x.gw.open(onlySent(del)).payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(old.spiIn)] },
    ]);
    //             <-- CREATE_CHILD_SA SK{ SA, Nr, TSi, TSr }   (it had processed ours first)
    const { response, child } = x.gw.answerCreateChild(ours);
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')[0]!.sa.spiIn).toBe(child.spiInitiator);
    // no DELETE for the SA that is already gone
    expect(sends(done)).toHaveLength(0);
  });

  it('CHILD_SA_NOT_FOUND (deleted on its side meanwhile): creates a new Child SA instead', () => {
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const req = x.gw.open(
      onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' })),
    );
    //             <-- CREATE_CHILD_SA SK{ N(CHILD_SA_NOT_FOUND) }
    const out = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.CHILD_SA_NOT_FOUND, new Uint8Array(0))]),
    );
    expect(of(out, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);
    const [at] = armed(out, 'rekey-child');
    expect(at).toBe(x.now);
    // CREATE_CHILD_SA SK{ SA, Ni, TSi, TSr } -->   (no REKEY_SA: a new Child SA)
    const fresh = x.gw.open(onlySent(x.fire('rekey-child', at)));
    expect(fresh.exchangeType).toBe(ExchangeType.CREATE_CHILD_SA);
    expect(
      payloadsOf(fresh.payloads, PayloadType.NOTIFY).filter(
        (n) => n.notifyType === NotifyStatusType.REKEY_SA,
      ),
    ).toEqual([]);
  });

  it('NO_PROPOSAL_CHOSEN for a new Child SA when none is left: deletes the IKE SA, no-proposal-chosen', () => {
    const x = establish();
    // the gateway deletes the only Child SA; 2 s later we re-create it
    const del = x.deliver(x.gw.deleteChild(x.gw.childSas[0]!.spiResponder));
    const [at] = armed(del, 'rekey-child');
    const req = x.gw.open(onlySent(x.fire('rekey-child', at)));
    const out = x.deliver(
      x.gw.respond(req, [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))]),
    );
    // INFORMATIONAL SK{ D(IKE) } -->
    const bye = x.gw.open(onlySent(out));
    expect(bye.payloads).toEqual([D_IKE]);
    expect(closedReason(x.deliver(x.gw.respond(bye)))).toMatchObject({
      kind: 'failed',
      error: { code: 'no-proposal-chosen', stage: 'esp' },
    });
  });

  it('a rekey of an SA we are deleting is answered TEMPORARY_FAILURE (§2.25.1)', () => {
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const ours = onlySent(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' }));
    const { response } = x.gw.answerCreateChild(ours);
    // INFORMATIONAL SK{ D(ESP, old) } -->   (in flight)
    const del = x.gw.open(onlySent(x.deliver(response)));
    expect(del.payloads[0]).toMatchObject({ type: PayloadType.DELETE, protocolId: 3 });
    //             <-- CREATE_CHILD_SA SK{ N(REKEY_SA, old), … }   (crossing our delete)
    // CREATE_CHILD_SA SK{ N(TEMPORARY_FAILURE) } -->
    const answer = x.deliver(x.gw.rekeyChild(x.gw.childSas[0]!));
    expect(of(answer, 'install-child-sa')).toHaveLength(0);
    const res = x.gw.open(onlySent(answer));
    expect(payloadsOf(res.payloads, PayloadType.NOTIFY)).toMatchObject([
      { notifyType: NotifyErrorType.TEMPORARY_FAILURE },
    ]);
  });

  it('a CREATE_CHILD_SA while we delete the IKE SA is answered TEMPORARY_FAILURE (§2.25.2)', () => {
    const x = establish();
    const bye = x.gw.open(onlySent(x.input({ type: 'close' })));
    expect(bye.payloads).toEqual([D_IKE]);
    const answer = x.deliver(x.gw.rekeyChild(x.gw.childSas[0]!));
    expect(of(answer, 'install-child-sa')).toHaveLength(0);
    expect(payloadsOf(x.gw.open(onlySent(answer)).payloads, PayloadType.NOTIFY)).toMatchObject([
      { notifyType: NotifyErrorType.TEMPORARY_FAILURE },
    ]);
    expect(closedReason(x.deliver(x.gw.respond(bye)))).toEqual({ kind: 'deleted-by-us' });
  });
});

describe('simultaneous IKE SA rekey', () => {
  /** Our IKE rekey in flight on the old SA, theirs answered by us on the old SA. */
  function crossed(gatewayNi: Uint8Array) {
    const x = establish({ ikeLifetimeMs: 4 * HOUR });
    const oldGw = x.gw.ike!;
    const at = armed(x.log, 'rekey-ike')[0]!;
    // CREATE_CHILD_SA SK{ SA(IKE, SPIi'), Ni(us), KEi } -->   (held)
    const ours = onlySent(x.fire('rekey-ike', at));
    //             <-- CREATE_CHILD_SA SK{ SA(IKE, SPIi''), Ni(gw), KEi }
    // CREATE_CHILD_SA SK{ SA(IKE, SPIr''), Nr(us), KEr } -->   (on the old SA)
    const answered = x.deliver(x.gw.rekeyIke({ nonce: gatewayNi }));
    // not switched yet: the winner is known only with our answer
    expect(timelineEvents(answered).filter((e) => e.kind === 'ike-rekeyed')).toEqual([]);
    const theirAnswer = onlySent(answered);
    expect(theirAnswer.subarray(0, 8)).toEqual(oldGw.spiI);
    return { x, oldGw, ours, theirAnswer };
  }

  it('ours survives when theirs used the lowest nonce: we delete the old SA, they delete theirs', () => {
    const { x, oldGw, ours, theirAnswer } = crossed(LOW);
    //             <-- CREATE_CHILD_SA SK{ SA(IKE, SPIr'), Nr(gw = ff…), KEr }   (old SA)
    const answer = x.gw.answerIkeRekey(ours, { nonce: HIGH });
    const oursGw = x.gw.ike!;
    const theirsGw = x.gw.completeIkeRekey(theirAnswer);
    const done = x.deliver(answer);
    expect(timelineEvents(done)).toContainEqual({ kind: 'ike-rekeyed', initiator: 'us' });
    // INFORMATIONAL SK{ D(IKE) } -->   (on the old SA: we created the survivor)
    const delBytes = onlySent(done);
    expect(delBytes.subarray(0, 8)).toEqual(oldGw.spiI);
    const del = x.gw.open(delBytes);
    expect(del.payloads).toEqual([D_IKE]);
    expect(closedReason(x.deliver(x.gw.respond(del)))).toBeUndefined();
    //             <-- INFORMATIONAL SK{ D(IKE) }   (on its redundant SA, message ID 0)
    // INFORMATIONAL SK{} -->   (on that SA; the session carries on)
    const gone = x.deliver(x.gw.requestOn(theirsGw, ExchangeType.INFORMATIONAL, [D_IKE], 0));
    const ack = onlySent(gone);
    expect(ack.subarray(0, 8)).toEqual(theirsGw.spiI);
    expect(x.gw.open(ack)).toMatchObject({ response: true, payloads: [] });
    expect(closedReason(gone)).toBeUndefined();
    expect(of(gone, 'remove-child-sa')).toHaveLength(0);
    // Our SA is the current one: a liveness check of ours leaves on it, as its initiator.
    x.gw.ike = oursGw;
    const ping = x.fire('dpd', x.now + 60_000);
    expect(onlySent(ping).subarray(0, 8)).toEqual(oursGw.spiI);
    expect(x.gw.open(onlySent(ping))).toMatchObject({ initiator: true, messageId: 0 });
    expect(x.session.state).toBe('established');
  });

  it('theirs survives when ours used the lowest nonce: we delete ours, they delete the old SA', () => {
    const { x, oldGw, ours, theirAnswer } = crossed(HIGH);
    //             <-- CREATE_CHILD_SA SK{ SA(IKE, SPIr'), Nr(gw = 00…), KEr }
    const answer = x.gw.answerIkeRekey(ours, { nonce: LOW });
    const oursGw = x.gw.ike!;
    const theirsGw = x.gw.completeIkeRekey(theirAnswer);
    const done = x.deliver(answer);
    expect(timelineEvents(done)).toContainEqual({ kind: 'ike-rekeyed', initiator: 'peer' });
    // INFORMATIONAL SK{ D(IKE) } -->   (on our redundant SA, its first request: message ID 0)
    const delBytes = onlySent(done);
    expect(delBytes.subarray(0, 8)).toEqual(oursGw.spiI);
    const del = x.gw.open(delBytes);
    expect(del).toMatchObject({ messageId: 0, payloads: [D_IKE] });
    expect(closedReason(x.deliver(x.gw.respond(del)))).toBeUndefined();
    //             <-- INFORMATIONAL SK{ D(IKE) }   (on the old SA: the winner deletes it)
    const gone = x.deliver(x.gw.requestOn(oldGw, ExchangeType.INFORMATIONAL, [D_IKE], 1));
    expect(onlySent(gone).subarray(0, 8)).toEqual(oldGw.spiI);
    expect(closedReason(gone)).toBeUndefined();
    // The gateway's SA is current: we are its responder (no I flag), its requests are answered.
    x.gw.ike = theirsGw;
    x.gw.nextRequestId = 0;
    const live = x.gw.open(onlySent(x.deliver(x.gw.liveness())));
    expect(live).toMatchObject({ response: true, initiator: false, messageId: 0 });
    const ping = x.fire('dpd', x.now + 60_000);
    expect(onlySent(ping).subarray(0, 8)).toEqual(theirsGw.spiI);
    expect(x.session.state).toBe('established');
  });

  it('the gateway refuses ours with TEMPORARY_FAILURE: its SA becomes current, we delete nothing', () => {
    const { x, oldGw, ours, theirAnswer } = crossed(HIGH);
    const refusal = x.gw.answerIkeRekey(ours, { refuse: NotifyErrorType.TEMPORARY_FAILURE });
    const theirsGw = x.gw.completeIkeRekey(theirAnswer);
    const out = x.deliver(refusal);
    expect(sends(out)).toHaveLength(0);
    expect(armed(out, 'rekey-ike')).toHaveLength(1); // the new SA's own lifetime
    expect(timelineEvents(out)).toContainEqual({ kind: 'ike-rekeyed', initiator: 'peer' });
    const gone = x.deliver(x.gw.requestOn(oldGw, ExchangeType.INFORMATIONAL, [D_IKE], 1));
    expect(closedReason(gone)).toBeUndefined();
    x.gw.ike = theirsGw;
    x.gw.nextRequestId = 0;
    expect(x.gw.open(onlySent(x.deliver(x.gw.liveness())))).toMatchObject({ response: true });
  });

  it('NO_PROPOSAL_CHOSEN: the current IKE SA is kept, no retry loop', () => {
    const x = establish({ ikeLifetimeMs: 4 * HOUR });
    const at = armed(x.log, 'rekey-ike')[0]!;
    const ours = onlySent(x.fire('rekey-ike', at));
    const out = x.deliver(
      x.gw.answerIkeRekey(ours, { refuse: NotifyErrorType.NO_PROPOSAL_CHOSEN }),
    );
    expect(armed(out, 'rekey-ike')).toEqual([]);
    expect(sends(out)).toHaveLength(0);
    expect(timelineEvents(out)[0]).toMatchObject({
      reason: expect.stringContaining('keeping the current IKE SA'),
    });
    // the old SA still works
    expect(x.gw.open(onlySent(x.deliver(x.gw.liveness())))).toMatchObject({ response: true });
  });

  it('TEMPORARY_FAILURE without a collision: retried after 5–15 s', () => {
    const x = establish({ ikeLifetimeMs: 4 * HOUR });
    const at = armed(x.log, 'rekey-ike')[0]!;
    const ours = onlySent(x.fire('rekey-ike', at));
    const out = x.deliver(x.gw.answerIkeRekey(ours, { refuse: NotifyErrorType.TEMPORARY_FAILURE }));
    const [retry] = armed(out, 'rekey-ike');
    expect(retry).toBeGreaterThanOrEqual(at + 5_000);
    expect(retry).toBeLessThanOrEqual(at + 15_000);
    const again = x.gw.open(onlySent(x.fire('rekey-ike', retry)));
    expect(payloadsOf(again.payloads, PayloadType.SA)[0]!.proposals[0]).toMatchObject({
      protocolId: 1,
    });
  });

  it('the gateway deletes the IKE SA while our rekey of it is in flight: answered, closed (§2.25.2)', () => {
    const x = establish({ ikeLifetimeMs: 4 * HOUR });
    const at = armed(x.log, 'rekey-ike')[0]!;
    const ours = onlySent(x.fire('rekey-ike', at));
    //             <-- INFORMATIONAL SK{ D(IKE) }
    // INFORMATIONAL SK{} -->   (we answer as usual and forget our rekey)
    const out = x.deliver(x.gw.deleteIke());
    expect(x.gw.open(onlySent(out))).toMatchObject({ response: true, payloads: [] });
    expect(closedReason(out)).toEqual({ kind: 'deleted-by-peer' });
    // its late answer to our rekey changes nothing
    expect(x.deliver(x.gw.answerIkeRekey(ours))).toEqual([]);
  });

  it('a second IKE rekey from the gateway while the first is unresolved gets TEMPORARY_FAILURE', () => {
    const { x } = crossed(HIGH);
    // its own rekey of the same old SA, again (message ID 1)
    const again = x.deliver(x.gw.rekeyIke());
    const res = x.gw.open(onlySent(again));
    expect(payloadsOf(res.payloads, PayloadType.NOTIFY)).toMatchObject([
      { notifyType: NotifyErrorType.TEMPORARY_FAILURE },
    ]);
  });
});
