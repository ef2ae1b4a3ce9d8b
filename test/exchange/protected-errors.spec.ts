/**
 * Protected vs unprotected errors (RFC 7296 §2.5, §2.21): a message that authenticated but is
 * malformed, or carries an unknown critical payload, was really sent by the gateway. A request is
 * answered with N(UNSUPPORTED_CRITICAL_PAYLOAD, type) or N(INVALID_SYNTAX) and the SA carries on;
 * the response to our request ends the SA with invalid-syntax at once (not after the whole
 * retransmission budget as peer-unreachable). The same bytes with a broken ICV are only dropped.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { be32, notify } from '../support/scripted-responder.js';
import { PayloadType, ProtocolId } from '../../native-helper/ike/message/payload-type.js';
import { encodePayloadChain, type Payload } from '../../native-helper/ike/message/payload.js';
import { concat } from '../../native-helper/ike/crypto/hash.js';
import {
  CLIENT,
  Exchange,
  armed,
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

/** An unknown payload type (RFC 7296 §3.2: 0–32 and 54–127 are unassigned) with C set. */
const UNKNOWN = 77;

/** `payloads`, then an unknown payload with the critical bit set, as one inner chain. */
function withCriticalUnknown(payloads: Payload[]): { inner: Uint8Array; first: number } {
  const body = Uint8Array.of(1, 2, 3, 4);
  const unknown = Uint8Array.of(PayloadType.NONE, 0x80, 0, 4 + body.length, ...body);
  if (!payloads.length) return { inner: unknown, first: UNKNOWN };
  // the last known payload's Next Payload names the unknown one
  const chain = encodePayloadChain(payloads);
  let at = 0;
  for (let i = 0; i < payloads.length - 1; i++)
    at += (chain.bytes[at + 2]! << 8) | chain.bytes[at + 3]!;
  const bytes = chain.bytes.slice();
  bytes[at] = UNKNOWN;
  return { inner: concat(bytes, unknown), first: chain.firstPayload };
}

function flipLast(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c[c.length - 1]! ^= 1;
  return c;
}

describe('an authenticated request the session cannot accept is answered', () => {
  it('an unknown critical payload → N(UNSUPPORTED_CRITICAL_PAYLOAD, its type); the SA carries on', () => {
    const x = establish();
    const { inner, first } = withCriticalUnknown([]);
    const request = x.gw.protectRaw(
      { exchangeType: ExchangeType.INFORMATIONAL, response: false, messageId: 0 },
      inner,
      first,
    );
    x.gw.nextRequestId = 1;
    // the same bytes with a broken ICV: unauthenticated, dropped, not answered
    expect(onlyDropped(x.deliver(flipLast(request)))).toBe(true);

    //             <-- INFORMATIONAL SK{ <77, critical> }
    // INFORMATIONAL SK{ N(UNSUPPORTED_CRITICAL_PAYLOAD, 77) } -->   (response, message ID 0)
    const out = x.deliver(request);
    const answer = x.gw.open(onlySent(out));
    expect(answer).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      response: true,
      messageId: 0,
    });
    expect(answer.payloads).toEqual([
      {
        type: PayloadType.NOTIFY,
        protocolId: 0,
        spi: new Uint8Array(0),
        notifyType: NotifyErrorType.UNSUPPORTED_CRITICAL_PAYLOAD,
        data: Uint8Array.of(UNKNOWN),
      },
    ]);
    expect(closedReason(out)).toBeUndefined();
    expect(x.session.state).toBe('established');
    expect(of(out, 'remove-child-sa')).toHaveLength(0);

    // its retransmission gets the same answer; the next request (ID 1) is answered as usual
    expect(onlySent(x.deliver(request))).toEqual(onlySent(out));
    const ping = x.gw.open(onlySent(x.deliver(x.gw.liveness())));
    expect(ping).toMatchObject({ response: true, messageId: 1, payloads: [] });
  });

  it('a request breaking the exchange rules (CREATE_CHILD_SA without Nonce) → N(INVALID_SYNTAX)', () => {
    const x = establish();
    const child = x.gw.childSas.at(-1)!;
    const broken: Payload[] = [
      notify(
        NotifyStatusType.REKEY_SA,
        new Uint8Array(0),
        ProtocolId.ESP,
        be32(child.spiResponder),
      ),
      { type: PayloadType.SA, proposals: [{ ...x.gw.childChoice!, spi: be32(0x0badcafe) }] },
    ];
    const { bytes, firstPayload } = encodePayloadChain(broken);
    const messageId = x.gw.nextRequestId++;
    const request = x.gw.protectRaw(
      { exchangeType: ExchangeType.CREATE_CHILD_SA, response: false, messageId },
      bytes,
      firstPayload,
    );
    //             <-- CREATE_CHILD_SA SK{ N(REKEY_SA), SA }   (no Ni)
    // CREATE_CHILD_SA SK{ N(INVALID_SYNTAX) } -->
    const out = x.deliver(request);
    const answer = x.gw.open(onlySent(out));
    expect(answer).toMatchObject({ response: true, messageId });
    expect(answer.payloads).toMatchObject([{ notifyType: NotifyErrorType.INVALID_SYNTAX }]);
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(x.session.state).toBe('established');
  });

  it('the same message with an unknown NON-critical payload is processed normally', () => {
    const x = establish();
    const body = Uint8Array.of(9, 9);
    const inner = Uint8Array.of(PayloadType.NONE, 0x00, 0, 4 + body.length, ...body);
    const request = x.gw.protectRaw(
      { exchangeType: ExchangeType.INFORMATIONAL, response: false, messageId: 0 },
      inner,
      UNKNOWN,
    );
    const answer = x.gw.open(onlySent(x.deliver(request)));
    expect(answer).toMatchObject({ response: true, messageId: 0, payloads: [] });
  });
});

describe('an authenticated malformed response ends the SA with invalid-syntax at once', () => {
  it('in IKE_AUTH: closed at once, not peer-unreachable after the budget', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const authOut = x.deliver(x.gw.answerInit(init, CLIENT));
    const req = x.gw.open(sentBytes(authOut));
    // IKE_AUTH SK{ … } -->   <-- IKE_AUTH SK{ KE }   (KE is not allowed in an IKE_AUTH response)
    const { bytes, firstPayload } = encodePayloadChain([
      { type: PayloadType.KE, group: 31, data: new Uint8Array(32).fill(9) },
    ]);
    const response = x.gw.protectRaw(
      { exchangeType: ExchangeType.IKE_AUTH, response: true, messageId: req.messageId },
      bytes,
      firstPayload,
    );
    // tampered: only dropped, still waiting
    expect(onlyDropped(x.deliver(flipLast(response)))).toBe(true);
    const out = x.deliver(response);
    expect(sends(out)).toHaveLength(0);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: {
        code: 'invalid-syntax',
        detail: expect.stringContaining('IKE_AUTH response is malformed'),
      },
    });
    expect(x.session.state).toBe('closed');
    expect(armed(out, 'retransmit')).toEqual([]);
  });

  it('established: a malformed answer to our liveness check → D(IKE), then invalid-syntax', () => {
    const x = establish();
    const ping = x.gw.open(sentBytes(x.input({ type: 'probe' })));
    //             <-- INFORMATIONAL SK{ N(…), <77, critical> }   (response to our DPD)
    const { inner, first } = withCriticalUnknown([
      // a status notify, then the unknown critical payload
      notify(NotifyStatusType.INITIAL_CONTACT, new Uint8Array(0)),
    ]);
    const out = x.deliver(
      x.gw.protectRaw(
        { exchangeType: ExchangeType.INFORMATIONAL, response: true, messageId: ping.messageId },
        inner,
        first,
      ),
    );
    // INFORMATIONAL SK{ D(IKE) } -->
    const del = x.gw.open(onlySent(out));
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(timelineEvents(out).some((e) => e.kind === 'dropped')).toBe(false);
    //             <-- INFORMATIONAL SK{}
    expect(closedReason(x.deliver(x.gw.respond(del)))).toMatchObject({
      kind: 'failed',
      error: {
        code: 'invalid-syntax',
        detail: expect.stringContaining('unknown critical payload type 77'),
      },
    });
  });

  it('a malformed response with a message ID we are not waiting for is only dropped', () => {
    const x = establish();
    const { inner, first } = withCriticalUnknown([]);
    const out = x.deliver(
      x.gw.protectRaw(
        { exchangeType: ExchangeType.INFORMATIONAL, response: true, messageId: 5 },
        inner,
        first,
      ),
    );
    expect(onlyDropped(out)).toBe(true);
    expect(x.session.state).toBe('established');
  });
});
