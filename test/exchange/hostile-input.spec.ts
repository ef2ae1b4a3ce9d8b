/**
 * Hostile and broken datagrams at every stage (protocol.md §3.2): each produces only a 'dropped'
 * timeline event — nothing sent, no timer touched, no state changed — and the exchange still
 * completes with the genuine messages afterwards.
 */
import { describe, expect, it } from 'vitest';
import { encodeIkeHeader } from '../../native-helper/ike/message/ike-header.js';
import { encodePayloadChain } from '../../native-helper/ike/message/payload.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { concat } from '../../native-helper/ike/crypto/hash.js';
import { notify } from '../support/scripted-responder.js';
import {
  CLIENT,
  Exchange,
  armed,
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

const GARBAGE = Uint8Array.from({ length: 120 }, (_, i) => (i * 37 + 11) & 0xff);

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  const i = at < 0 ? copy.length + at : at;
  copy[i] = copy[i]! ^ 0x01;
  return copy;
}

/** An unencrypted INFORMATIONAL { N(AUTHENTICATION_FAILED) } on the IKE SA's SPIs. */
function plainInformational(spiI: Uint8Array, spiR: Uint8Array, response: boolean): Uint8Array {
  const chain = encodePayloadChain([
    notify(NotifyErrorType.AUTHENTICATION_FAILED, new Uint8Array(0)),
  ]);
  return concat(
    encodeIkeHeader({
      spiI,
      spiR,
      nextPayload: chain.firstPayload,
      exchangeType: ExchangeType.INFORMATIONAL,
      initiator: false,
      higherVersion: false,
      response,
      messageId: response ? 1 : 0,
      length: 28 + chain.bytes.length,
    }),
    chain.bytes,
  );
}

function expectOnlyDropped(x: Exchange, bytes: Uint8Array, what = ''): void {
  const before = x.session.state;
  const out = x.deliver(bytes);
  expect(onlyDropped(out), `${what} ${JSON.stringify(timelineEvents(out))}`).toBe(true);
  expect(x.session.state).toBe(before);
}

describe('hostile input', () => {
  it('while waiting for the IKE_SA_INIT response', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const init = onlySent(start);
    const good = x.gw.answerInit(init, CLIENT);
    const withIFlag = good.slice();
    withIFlag[19] = withIFlag[19]! | 0x08; // the I flag (IKE_SA_INIT is not authenticated)

    //             <-- garbage, nothing, a truncated answer, an answer with the I flag, our own request
    expectOnlyDropped(x, GARBAGE);
    expectOnlyDropped(x, new Uint8Array(0));
    expectOnlyDropped(x, good.subarray(0, 40));
    expectOnlyDropped(x, good.subarray(0, good.length - 1));
    expectOnlyDropped(x, withIFlag);
    expectOnlyDropped(x, init);

    // Still waiting for the same request: the retransmission resends the same bytes.
    expect(onlySent(x.fire('retransmit', armed(start, 'retransmit')[0]))).toEqual(init);
    //             <-- IKE_SA_INIT { SA, KE, Nr, ... }   (the genuine one)
    const auth = sentBytes(x.deliver(good));
    expect(of(x.deliverAll(x.gw.answerAuth(auth)), 'established')).toHaveLength(1);
  });

  it('while waiting for the IKE_AUTH response', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const authOut = x.deliver(x.gw.answerInit(init, CLIENT));
    const req = sentBytes(authOut);
    const withIFlag = x.gw.answerAuth(req, { initiatorFlag: true })[0]!;
    const [good] = x.gw.answerAuth(req);
    const ike = x.gw.ike!;
    const stray = x.gw.protect({
      exchangeType: ExchangeType.IKE_AUTH,
      response: true,
      messageId: 7,
      payloads: [],
    })[0]!;

    //             <-- garbage, truncated, bad ICV, tampered ciphertext, I flag, plaintext, wrong ID
    expectOnlyDropped(x, GARBAGE);
    expectOnlyDropped(x, good!.subarray(0, 60));
    expectOnlyDropped(x, flip(good!, -1));
    expectOnlyDropped(x, flip(good!, 40));
    expectOnlyDropped(x, flip(good!, 19)); // header: the message ID is authenticated too
    expectOnlyDropped(x, withIFlag);
    expectOnlyDropped(x, plainInformational(ike.spiI, ike.spiR, false));
    expectOnlyDropped(x, plainInformational(ike.spiI, ike.spiR, true));
    expectOnlyDropped(x, stray);
    // A late duplicate of the IKE_SA_INIT response.
    expectOnlyDropped(x, x.gw.initResponse!);

    expect(sentBytes(x.fire('retransmit', armed(authOut, 'retransmit')[0]))).toEqual(req);
    //             <-- IKE_AUTH SK{ IDr, AUTH, CP, SA, TSi, TSr }   (the genuine one)
    const done = x.deliver(good!);
    expect(of(done, 'established')).toHaveLength(1);
    const [install] = of(done, 'install-child-sa');
    expect(install!.sa.encrKeyIn).toEqual(x.gw.childSas.at(-1)!.keys.encrR);
  });

  it('on an established IKE SA', () => {
    const x = establish();
    const ike = x.gw.ike!;
    const liveness = x.gw.liveness();
    x.gw.nextRequestId = 0;
    const withIFlag = x.gw.protect(
      { exchangeType: ExchangeType.INFORMATIONAL, response: false, messageId: 0, payloads: [] },
      { initiatorFlag: true },
    )[0]!;

    //             <-- garbage, truncated, bad ICV, plaintext, the I flag, a response to nothing
    expectOnlyDropped(x, GARBAGE);
    expectOnlyDropped(x, liveness.subarray(0, 30), 'truncated');
    expectOnlyDropped(x, flip(liveness, -3), 'bad ICV');
    expectOnlyDropped(x, plainInformational(ike.spiI, ike.spiR, false));
    expectOnlyDropped(x, withIFlag, 'I flag');
    expectOnlyDropped(
      x,
      x.gw.protect({
        exchangeType: ExchangeType.INFORMATIONAL,
        response: true,
        messageId: 2,
        payloads: [],
      })[0]!,
    );
    expectOnlyDropped(x, x.gw.deleteIke().subarray(0, 50), 'truncated delete');

    // The genuine liveness check, still message ID 0, is answered.
    const out = x.deliver(liveness);
    expect(x.gw.open(onlySent(out))).toMatchObject({ messageId: 0, response: true });
    expect(sends(out)).toHaveLength(1);
    expect(x.session.state).toBe('established');
  });

  it('a plaintext INFORMATIONAL right after IKE_SA_INIT cannot fail the session', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(x.start());
    const req = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    const out = x.deliver(plainInformational(x.gw.ike!.spiI, x.gw.ike!.spiR, true));
    expect(timelineEvents(out).every((e) => e.kind === 'dropped')).toBe(true);
    expect(of(x.deliverAll(x.gw.answerAuth(req)), 'established')).toHaveLength(1);
  });
});
