/**
 * IKE_SA_INIT answers the session drops after decoding them (a repeated identical COOKIE, a zero
 * responder SPI) leave the request outstanding: it is still retransmitted and the genuine answer
 * still completes the exchange (otherwise one spoofed datagram would stall the attempt forever).
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../native-helper/ike/message/message.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { notify } from '../support/scripted-responder.js';
import {
  CLIENT,
  Exchange,
  armed,
  of,
  onlySent,
  responderFor,
  sentBytes,
  sessionConfig,
} from './harness.js';

const COOKIE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

describe('IKE_SA_INIT answers dropped after decoding', () => {
  it('a repeated identical COOKIE leaves the retried request outstanding', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const first = onlySent(x.start());
    //             <-- IKE_SA_INIT { N(COOKIE) }
    // IKE_SA_INIT { N(COOKIE), SA, KE, Ni, ... } -->
    const retry = x.deliver(x.gw.answerInit(first, CLIENT, { cookie: COOKIE }));
    const second = onlySent(retry);
    //             <-- IKE_SA_INIT { N(COOKIE) }   (the same cookie: dropped)
    const dropped = x.deliver(x.gw.answerInit(second, CLIENT, { cookie: COOKIE }));
    expect(of(dropped, 'cancel-timer')).toEqual([]);
    // (timeout) IKE_SA_INIT { N(COOKIE), ... } -->   (still retransmitted)
    expect(onlySent(x.fire('retransmit', armed(retry, 'retransmit')[0]))).toEqual(second);
    //             <-- IKE_SA_INIT { SA, KE, Nr, ... }   (the genuine answer still completes)
    const auth = sentBytes(x.deliver(x.gw.answerInit(second, CLIENT)));
    expect(of(x.deliverAll(x.gw.answerAuth(auth)), 'established')).toHaveLength(1);
  });

  it('an answer with a zero responder SPI leaves the request outstanding', () => {
    const x = new Exchange(sessionConfig(), responderFor());
    const start = x.start();
    const init = onlySent(start);
    const req = x.gw.readInit(init);
    //             <-- IKE_SA_INIT { N(NAT_D_S) }, SPIr = 0   (dropped)
    const zero = encodeMessage({
      spiI: req.spiI,
      spiR: new Uint8Array(8),
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      higherVersion: false,
      messageId: 0,
      payloads: [notify(NotifyStatusType.NAT_DETECTION_SOURCE_IP, new Uint8Array(20))],
      encrypted: false,
    });
    x.deliver(zero);
    expect(onlySent(x.fire('retransmit', armed(start, 'retransmit')[0]))).toEqual(init);
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    expect(of(x.deliverAll(x.gw.answerAuth(auth)), 'established')).toHaveLength(1);
  });
});
