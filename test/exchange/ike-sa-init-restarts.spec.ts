/**
 * IKE_SA_INIT restarts (RFC 7296 §2.6, §1.3): COOKIE and INVALID_KE_PAYLOAD, bounded, and only
 * towards groups we offered.
 */
import { describe, expect, it } from 'vitest';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { TransformType, type Proposal } from '../../native-helper/ike/message/sa-payload.js';
import { payloadsOf, type Payload } from '../../native-helper/ike/message/payload.js';
import { encodeMessage, type IkeMessage } from '../../native-helper/ike/message/message.js';
import type { IkeOutput } from '../../native-helper/ike/ike-events.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { DEFAULT_RETRANSMIT_POLICY, retransmitBudget } from '../../native-helper/ike/retransmit.js';
import { ikeErrorMessage } from '../../native-helper/ike/ike-error.js';
import {
  CLIENT,
  Exchange,
  armed,
  closedReason,
  of,
  onlyDropped,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  timelineEvents,
} from './harness.js';

const COOKIE = Uint8Array.from({ length: 16 }, (_, i) => 0xc0 + i);

/**
 * Fires the retransmission timer (no answer comes) until the session gives up; returns the
 * outputs of the last firing. Default policy: 5 retransmissions, then giving up.
 */
function exhaust(x: Exchange, firstAt: number): IkeOutput[] {
  let at = firstAt;
  for (let i = 0; i < 10; i++) {
    const out = x.fire('retransmit', at);
    if (closedReason(out)) return out;
    at = armed(out, 'retransmit')[0]!;
  }
  throw new Error('the session never gave up');
}

function withoutCookie(m: IkeMessage): Payload[] {
  return m.payloads.filter(
    (p) => !(p.type === PayloadType.NOTIFY && p.notifyType === NotifyStatusType.COOKIE),
  );
}

describe('COOKIE', () => {
  it('retries with N(COOKIE) first and otherwise the same payloads, then completes', () => {
    const x = new Exchange(sessionConfig(), responderFor());

    // IKE_SA_INIT { SA, KE, Ni, N(NAT_D_S), N(NAT_D_D) } -->
    const first = onlySent(x.start());
    //             <-- IKE_SA_INIT { N(COOKIE) }
    // IKE_SA_INIT { N(COOKIE), SA, KE, Ni, N(NAT_D_S), N(NAT_D_D) } -->
    const out = x.deliver(x.gw.answerInit(first, CLIENT, { cookie: COOKIE }));
    expect(timelineEvents(out)).toContainEqual({ kind: 'cookie-requested' });
    const second = onlySent(out);
    const a = x.gw.readInit(first);
    const b = x.gw.readInit(second);
    expect(b.payloads[0]).toMatchObject({
      type: PayloadType.NOTIFY,
      notifyType: NotifyStatusType.COOKIE,
      data: COOKIE,
    });
    // All other payloads unchanged (§2.6): the same KE, Ni and NAT-D hashes.
    expect(withoutCookie(b)).toEqual(a.payloads);
    expect(b.spiI).toEqual(a.spiI);
    expect(b.messageId).toBe(0);
    expect(armed(out, 'retransmit')).toEqual([x.now + 4_000]);

    //             <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D_S), N(NAT_D_D) }
    // IKE_AUTH SK{ ... } -->  <-- IKE_AUTH SK{ ... }
    const auth = sentBytes(x.deliver(x.gw.answerInit(second, CLIENT)));
    const done = x.deliverAll(x.gw.answerAuth(auth));
    // The AUTH covers the retried IKE_SA_INIT (with the cookie), which the responder verified.
    expect(x.gw.initiatorAuthVerified).toBe(true);
    expect(of(done, 'established')).toHaveLength(1);
  });

  it('drops a repeated identical cookie', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const first = onlySent(x.start());
    const second = onlySent(x.deliver(x.gw.answerInit(first, CLIENT, { cookie: COOKIE })));
    //             <-- IKE_SA_INIT { N(COOKIE) }  (the same cookie again)
    const out = x.deliver(x.gw.answerInit(second, CLIENT, { cookie: COOKIE }));
    expect(sends(out)).toHaveLength(0);
    expect(timelineEvents(out)).toContainEqual({
      kind: 'dropped',
      reason: 'repeated identical COOKIE',
    });
    expect(closedReason(out)).toBeUndefined();
  });

  it('gives up with too-many-retries after 5 restarts', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    let req = onlySent(x.start());
    for (let i = 1; i <= 5; i++) {
      //             <-- IKE_SA_INIT { N(COOKIE #i) }
      // IKE_SA_INIT { N(COOKIE #i), ... } -->
      const out = x.deliver(x.gw.answerInit(req, CLIENT, { cookie: Uint8Array.of(i, i, i) }));
      expect(closedReason(out)).toBeUndefined();
      req = onlySent(out);
      expect(x.gw.readInit(req).payloads[0]).toMatchObject({ data: Uint8Array.of(i, i, i) });
    }
    //             <-- IKE_SA_INIT { N(COOKIE #6) }
    const out = x.deliver(x.gw.answerInit(req, CLIENT, { cookie: Uint8Array.of(6) }));
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'too-many-retries' },
    });
    expect(x.session.state).toBe('closed');
  });
});

describe('INVALID_KE_PAYLOAD', () => {
  const TWO_GROUPS = 'aes256gcm16-prfsha256-x25519-ecp256';

  it('retries with the requested group when we offered it', () => {
    const x = new Exchange(sessionConfig({ ike: TWO_GROUPS }), responderFor());
    // IKE_SA_INIT { SA, KE(31), Ni, ... } -->
    const first = onlySent(x.start());
    expect(payloadsOf(x.gw.readInit(first).payloads, PayloadType.KE)[0]?.group).toBe(31);
    //             <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(19)) }
    // IKE_SA_INIT { SA, KE(19), Ni, ... } -->
    const out = x.deliver(x.gw.answerInit(first, CLIENT, { invalidKe: 19 }));
    expect(timelineEvents(out)).toContainEqual({ kind: 'invalid-ke', group: 19 });
    const second = onlySent(out);
    const retried = x.gw.readInit(second);
    const [ke] = payloadsOf(retried.payloads, PayloadType.KE);
    expect(ke?.group).toBe(19);
    expect(ke?.data).toHaveLength(64);
    // Same SA offer (the whole list; the responder picks the group of KE).
    expect(payloadsOf(retried.payloads, PayloadType.SA)).toEqual(
      payloadsOf(x.gw.readInit(first).payloads, PayloadType.SA),
    );
    //             <-- IKE_SA_INIT { SA(ecp256), KE(19), Nr, ... }
    const auth = sentBytes(x.deliver(x.gw.answerInit(second, CLIENT)));
    const done = x.deliverAll(x.gw.answerAuth(auth));
    expect(of(done, 'established')[0]?.config.ike).toBe('aes256gcm16-prfsha256-ecp256');
  });

  it('a group we never offered is not followed; invalid-ke once the gateway insists', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const first = onlySent(start);
    //             <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(14)) }   (MODP-2048: not ours)
    const out = x.deliver(x.gw.answerInit(first, CLIENT, { invalidKe: 14 }));
    // unauthenticated: remembered, no restart, still waiting for the same request
    expect(onlyDropped(out)).toBe(true);
    expect(x.session.state).toBe('ike-sa-init');
    // IKE_SA_INIT (retransmission) -->   <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(14)) } again
    expect(onlySent(x.fire('retransmit', armed(start, 'retransmit')[0]))).toEqual(first);
    const again = x.deliver(x.gw.answerInit(first, CLIENT, { invalidKe: 14 }));
    expect(sends(again)).toHaveLength(0);
    expect(closedReason(again)).toMatchObject({
      kind: 'failed',
      error: { code: 'invalid-ke', detail: expect.stringContaining('group 14') },
    });
  });

  it('drops the old cookie on the retry', () => {
    const x = new Exchange(sessionConfig({ ike: TWO_GROUPS }), responderFor());
    const first = onlySent(x.start());
    //             <-- IKE_SA_INIT { N(COOKIE) }
    const second = onlySent(x.deliver(x.gw.answerInit(first, CLIENT, { cookie: COOKIE })));
    expect(x.gw.readInit(second).payloads[0]).toMatchObject({
      notifyType: NotifyStatusType.COOKIE,
    });
    //             <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(19)) }
    // IKE_SA_INIT { SA, KE(19), Ni, ... } -->   (no COOKIE)
    const third = onlySent(x.deliver(x.gw.answerInit(second, CLIENT, { invalidKe: 19 })));
    const m = x.gw.readInit(third);
    expect(
      payloadsOf(m.payloads, PayloadType.NOTIFY).some(
        (n) => n.notifyType === NotifyStatusType.COOKIE,
      ),
    ).toBe(false);
    expect(payloadsOf(m.payloads, PayloadType.KE)[0]?.group).toBe(19);
  });

  it('asked for the group it already uses: no restart; invalid-ke after the budget', () => {
    const x = new Exchange(sessionConfig({ ike: TWO_GROUPS }), responderFor());
    const start = x.start();
    const first = onlySent(start);
    expect(onlyDropped(x.deliver(x.gw.answerInit(first, CLIENT, { invalidKe: 31 })))).toBe(true);
    const out = exhaust(x, armed(start, 'retransmit')[0]!);
    expect(closedReason(out)).toMatchObject({ kind: 'failed', error: { code: 'invalid-ke' } });
  });
});

describe('unauthenticated refusals of IKE_SA_INIT (RFC 7296 §2.21.1)', () => {
  const TWO = 'aes256gcm16-prfsha256-x25519,aes256-sha256-ecp256';
  /** The tampered SA: AES-GCM with 128-bit keys, which we never offered. */
  const aes128 = {
    tamperChoice: (p: Proposal): Proposal => ({
      ...p,
      transforms: p.transforms.map((t) =>
        t.transformType === TransformType.ENCR
          ? { ...t, attributes: [{ format: 'tv' as const, type: 14, value: 128 }] }
          : t,
      ),
    }),
  };

  /** IKE_SA_INIT { SA, Nr } with a responder SPI but no KE (anyone on the path can send it). */
  function withoutKe(x: Exchange, init: Uint8Array): Uint8Array {
    const req = x.gw.readInit(init);
    const [sa] = payloadsOf(req.payloads, PayloadType.SA);
    return encodeMessage({
      spiI: req.spiI,
      spiR: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      higherVersion: false,
      messageId: 0,
      payloads: [
        { type: PayloadType.SA, proposals: [{ ...sa!.proposals[0]!, number: 1 }] },
        { type: PayloadType.NONCE, nonce: new Uint8Array(32).fill(7) },
      ],
      encrypted: false,
    });
  }

  it('a forged N(NO_PROPOSAL_CHOSEN) and a tampered SA are ignored; the genuine answer establishes', () => {
    const x = new Exchange(sessionConfig({ ike: TWO }), responderFor());
    const start = x.start();
    const init = onlySent(start);
    //             <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) }   (forged)
    const forged = x.deliver(
      x.gw.answerInit(init, CLIENT, { error: NotifyErrorType.NO_PROPOSAL_CHOSEN }),
    );
    expect(onlyDropped(forged)).toBe(true);
    expect(timelineEvents(forged)[0]).toMatchObject({
      kind: 'dropped',
      reason: expect.stringContaining('unauthenticated IKE_SA_INIT answer: no-proposal-chosen'),
    });
    //             <-- IKE_SA_INIT { SA(aes128gcm16 …), KE, Nr }   (forged: never offered)
    expect(onlyDropped(x.deliver(x.gw.answerInit(init, CLIENT, aes128)))).toBe(true);
    //             <-- IKE_SA_INIT { SA, Nr }   (forged: no KE)
    expect(onlyDropped(x.deliver(withoutKe(x, init)))).toBe(true);
    //             <-- IKE_SA_INIT { N(AUTHENTICATION_FAILED) }   (forged: any other error)
    expect(
      onlyDropped(
        x.deliver(x.gw.answerInit(init, CLIENT, { error: NotifyErrorType.AUTHENTICATION_FAILED })),
      ),
    ).toBe(true);
    expect(x.session.state).toBe('ike-sa-init');
    // nothing was cancelled: the retransmission still goes out, the same bytes
    expect(onlySent(x.fire('retransmit', armed(start, 'retransmit')[0]))).toEqual(init);

    //             <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D_S), N(NAT_D_D) }   (genuine)
    // IKE_AUTH SK{ … } -->   <-- IKE_AUTH SK{ IDr, AUTH, CP, SA, TSi, TSr }
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    const done = x.deliverAll(x.gw.answerAuth(auth));
    expect(of(done, 'established')).toHaveLength(1);
    expect(x.gw.initiatorAuthVerified).toBe(true);
  });

  it('with no genuine answer: no-proposal-chosen after the retransmission budget', () => {
    const ike = 'aes256gcm16-prfsha256-x25519,aes256-sha256-ecp256';
    const x = new Exchange(sessionConfig({ ike }), responderFor());
    const start = x.start();
    const first = onlySent(start);
    //             <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) }   (once; then nothing)
    const out = x.deliver(
      x.gw.answerInit(first, CLIENT, { error: NotifyErrorType.NO_PROPOSAL_CHOSEN }),
    );
    expect(closedReason(out)).toBeUndefined();
    const t0 = x.now;
    const last = exhaust(x, armed(start, 'retransmit')[0]!);
    // 4 + 7.2 + 13 + 23.3 + 42 + 75.6 s: the whole budget, and not peer-unreachable
    expect(x.now - t0).toBe(retransmitBudget(DEFAULT_RETRANSMIT_POLICY));
    expect(closedReason(last)).toEqual({
      kind: 'failed',
      error: {
        code: 'no-proposal-chosen',
        stage: 'ike',
        offered: ['aes256gcm16-prfsha256-x25519', 'aes256-sha256-ecp256'],
      },
    });
  });

  it('the same refusal in reply to two transmissions is the gateway: no-proposal-chosen at once', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const first = onlySent(start);
    const refusal = x.gw.answerInit(first, CLIENT, { error: NotifyErrorType.NO_PROPOSAL_CHOSEN });
    //             <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) }, twice for the same transmission
    expect(onlyDropped(x.deliver(refusal))).toBe(true);
    expect(onlyDropped(x.deliver(refusal))).toBe(true);
    // IKE_SA_INIT (retransmission, 4 s later) -->   <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) }
    x.fire('retransmit', armed(start, 'retransmit')[0]);
    const out = x.deliver(refusal);
    expect(x.now - 1_000_000).toBe(4_000);
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'no-proposal-chosen',
        stage: 'ike',
        offered: ['aes256gcm16-prfsha256-x25519'],
      },
    });
    expect(x.session.state).toBe('closed');
  });

  it('different refusals on two transmissions do not end the attempt', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const init = onlySent(start);
    expect(
      onlyDropped(
        x.deliver(x.gw.answerInit(init, CLIENT, { error: NotifyErrorType.NO_PROPOSAL_CHOSEN })),
      ),
    ).toBe(true);
    x.fire('retransmit', armed(start, 'retransmit')[0]);
    expect(onlyDropped(x.deliver(x.gw.answerInit(init, CLIENT, aes128)))).toBe(true);
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    expect(of(x.deliverAll(x.gw.answerAuth(auth)), 'established')).toHaveLength(1);
  });

  it('a transform we never offered: no-proposal-chosen naming ours and what the gateway chose', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const first = onlySent(start);
    //             <-- IKE_SA_INIT { SA(aes128gcm16-prfsha256-x25519), KE, Nr, ... }  (twice)
    expect(onlyDropped(x.deliver(x.gw.answerInit(first, CLIENT, aes128)))).toBe(true);
    x.fire('retransmit', armed(start, 'retransmit')[0]);
    const out = x.deliver(x.gw.answerInit(first, CLIENT, aes128));
    expect(sends(out)).toHaveLength(0);
    const reason = closedReason(out);
    expect(reason).toEqual({
      kind: 'failed',
      error: {
        code: 'no-proposal-chosen',
        stage: 'ike',
        offered: ['aes256gcm16-prfsha256-x25519'],
        peer: ['aes128gcm16-prfsha256-x25519'],
      },
    });
    if (reason?.kind !== 'failed') throw new Error('not failed');
    expect(ikeErrorMessage(reason.error)).toBe(
      'the gateway accepted none of our IKE proposals (aes256gcm16-prfsha256-x25519); it answered with aes128gcm16-prfsha256-x25519, which we did not offer',
    );
  });

  it('an answer without KE: invalid-syntax after the budget', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const init = onlySent(start);
    expect(onlyDropped(x.deliver(withoutKe(x, init)))).toBe(true);
    const out = exhaust(x, armed(start, 'retransmit')[0]!);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'invalid-syntax', detail: 'IKE_SA_INIT response without SA, KE or Nonce' },
    });
  });

  it('a KE payload for another group than the one chosen in SA → invalid-ke', () => {
    const x = new Exchange(
      sessionConfig({ ike: 'aes256gcm16-prfsha256-x25519-ecp256' }),
      responderFor(),
    );
    const start = x.start();
    const init = onlySent(start);
    // SA says ecp256 (which we offered), KE carries x25519: the pair does not match
    const ecp256 = {
      tamperChoice: (p: Proposal): Proposal => ({
        ...p,
        transforms: p.transforms.map((t) =>
          t.transformType === TransformType.KE ? { ...t, transformId: 19 } : t,
        ),
      }),
    };
    //             <-- IKE_SA_INIT { SA(… ecp256), KE(31), Nr }   (twice)
    expect(onlyDropped(x.deliver(x.gw.answerInit(init, CLIENT, ecp256)))).toBe(true);
    x.fire('retransmit', armed(start, 'retransmit')[0]);
    const out = x.deliver(x.gw.answerInit(init, CLIENT, ecp256));
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'invalid-ke', detail: expect.stringContaining('chose group 19') },
    });
  });
});
