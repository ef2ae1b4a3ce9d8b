/**
 * `sendRemoteId: false` (profile) → IkeSessionConfig.sendRemoteId: IKE_AUTH does not ask the
 * gateway for an identity (IDr is optional, RFC 7296 §2.15), yet the IDr it answers with must
 * still be the configured remote identity. strongSwan answers AUTHENTICATION_FAILED to an IDr it
 * does not own; without one it answers with its own identity, which we name in the failure.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import {
  CLIENT,
  Exchange,
  closedReason,
  of,
  onlySent,
  responderFor,
  sentBytes,
  sessionConfig,
} from './harness.js';
import type { AuthOptions } from '../support/scripted-responder.js';

function authWith(sendRemoteId: boolean | undefined, auth: AuthOptions = {}) {
  const x = new Exchange(sessionConfig({ sendRemoteId }), responderFor());
  // IKE_SA_INIT -->  <-- IKE_SA_INIT
  const init = onlySent(x.start());
  // IKE_AUTH SK{ IDi, N(INITIAL_CONTACT), [IDr], AUTH, CP, SA, TSi, TSr } -->
  const req = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
  const request = x.gw.open(req[0]!);
  //             <-- IKE_AUTH SK{ IDr, AUTH, … }
  const out = x.deliverAll(x.gw.answerAuth(req, auth));
  return { x, request, out };
}

describe('asking the gateway for the remote identity (IDr in IKE_AUTH)', () => {
  it('by default IKE_AUTH carries IDr', () => {
    const { request, out } = authWith(undefined);
    expect(payloadsOf(request.payloads, PayloadType.IDR)).toHaveLength(1);
    expect(of(out, 'established')).toHaveLength(1);
  });

  it('sendRemoteId false: no IDr; the gateway naming the configured identity connects', () => {
    const { request, out } = authWith(false);
    expect(payloadsOf(request.payloads, PayloadType.IDR)).toEqual([]);
    expect(payloadsOf(request.payloads, PayloadType.IDI)).toHaveLength(1);
    expect(of(out, 'established')).toHaveLength(1);
  });

  it('sendRemoteId false: a gateway naming another identity → identity-mismatch, nothing installed, the gateway told', () => {
    const { x, out } = authWith(false, {
      id: { idType: 2, data: new TextEncoder().encode('gw.other.test') },
    });
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'identity-mismatch',
        expected: 'vpn.example.com',
        received: 'gw.other.test',
        where: 'IDr',
      },
    });
    // INFORMATIONAL SK{ N(AUTHENTICATION_FAILED) } -->   (it considers the IKE SA up: we go)
    const info = x.gw.open(onlySent(out));
    expect(info).toMatchObject({ exchangeType: ExchangeType.INFORMATIONAL, response: false });
    expect(info.payloads).toMatchObject([
      { type: PayloadType.NOTIFY, notifyType: NotifyErrorType.AUTHENTICATION_FAILED },
    ]);
  });
});
