/**
 * IKE_SA_INIT restarts (RFC 7296 §2.6, §1.3): COOKIE and INVALID_KE_PAYLOAD, bounded, and only
 * towards groups we offered.
 */
import { describe, expect, it } from 'vitest';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf, type Payload } from '../../native-helper/ike/message/payload.js';
import type { IkeMessage } from '../../native-helper/ike/message/message.js';
import {
  CLIENT,
  Exchange,
  armed,
  closedReason,
  of,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  timelineEvents,
} from './harness.js';

const COOKIE = Uint8Array.from({ length: 16 }, (_, i) => 0xc0 + i);

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

  it('fails with invalid-ke when the requested group was never offered', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const first = onlySent(x.start());
    //             <-- IKE_SA_INIT { N(INVALID_KE_PAYLOAD(14)) }   (MODP-2048: not ours)
    const out = x.deliver(x.gw.answerInit(first, CLIENT, { invalidKe: 14 }));
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toMatchObject({ kind: 'failed', error: { code: 'invalid-ke' } });
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

  it('fails when asked again for the group it already uses', () => {
    const x = new Exchange(sessionConfig({ ike: TWO_GROUPS }), responderFor());
    const first = onlySent(x.start());
    const out = x.deliver(x.gw.answerInit(first, CLIENT, { invalidKe: 31 }));
    expect(closedReason(out)).toMatchObject({ kind: 'failed', error: { code: 'invalid-ke' } });
  });
});

describe('NO_PROPOSAL_CHOSEN in IKE_SA_INIT', () => {
  it('fails with no-proposal-chosen listing our proposals', () => {
    const ike = 'aes256gcm16-prfsha256-x25519,aes256-sha256-ecp256';
    const x = new Exchange(sessionConfig({ ike }), responderFor());
    const first = onlySent(x.start());
    //             <-- IKE_SA_INIT { N(NO_PROPOSAL_CHOSEN) }
    const out = x.deliver(
      x.gw.answerInit(first, CLIENT, { error: NotifyErrorType.NO_PROPOSAL_CHOSEN }),
    );
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'no-proposal-chosen',
        stage: 'ike',
        offered: ['aes256gcm16-prfsha256-x25519', 'aes256-sha256-ecp256'],
      },
    });
  });

  it('fails with no-proposal-chosen when the responder picks a transform we never offered', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const first = onlySent(x.start());
    //             <-- IKE_SA_INIT { SA(aes128gcm16 ...), KE, Nr, ... }
    const out = x.deliver(
      x.gw.answerInit(first, CLIENT, {
        tamperChoice: (p) => ({
          ...p,
          transforms: p.transforms.map((t) =>
            t.transformType === 1
              ? { ...t, attributes: [{ format: 'tv', type: 14, value: 128 }] }
              : t,
          ),
        }),
      }),
    );
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: {
        code: 'no-proposal-chosen',
        stage: 'ike',
        offered: ['aes256gcm16-prfsha256-x25519'],
      },
    });
  });
});
