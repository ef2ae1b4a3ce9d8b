/**
 * The data plane asks for an early Child SA rekey (`{ type: 'rekey-child', spiIn, reason }`):
 * its outbound ESP sequence number nears 2^32 (RFC 4303 §3.3.3: it must never wrap) or a volume
 * lifetime ran out. The session rekeys exactly that Child SA, once, as it does on its lifetime:
 *
 *   CREATE_CHILD_SA SK{ N(REKEY_SA, ESP, spiIn), SA, Ni, TSi, TSr }  -->
 *                   <--  SK{ SA, Nr, TSi, TSr }
 *   INFORMATIONAL   SK{ D(ESP, old spiIn) }  -->
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { be32 } from '../support/scripted-responder.js';
import {
  CLIENT,
  Exchange,
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

describe('a Child SA rekey asked for by the data plane', () => {
  it('rekeys the named Child SA at once, then deletes the old one', () => {
    // No lifetimes configured: only the data plane's request starts this rekey.
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;

    // CREATE_CHILD_SA SK{ N(REKEY_SA, ESP, old spiIn), SA, Ni, TSi, TSr } -->
    const out = x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'seq-soft-limit' });
    const { response, child: fresh, request } = x.gw.answerCreateChild(onlySent(out));
    expect(request.exchangeType).toBe(ExchangeType.CREATE_CHILD_SA);
    expect(payloadsOf(request.payloads, PayloadType.NOTIFY)[0]).toMatchObject({
      notifyType: NotifyStatusType.REKEY_SA,
      protocolId: 3,
      spi: be32(old.spiIn),
    });

    //             <-- CREATE_CHILD_SA SK{ SA, Nr, TSi, TSr }
    // INFORMATIONAL SK{ D(ESP, old spiIn) } -->
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')[0]!.sa).toMatchObject({
      spiIn: fresh.spiInitiator,
      spiOut: fresh.spiResponder,
    });
    expect(timelineEvents(done)).toContainEqual({
      kind: 'child-rekeyed',
      initiator: 'us',
      spiIn: fresh.spiInitiator,
    });
    const del = x.gw.open(onlySent(done));
    expect(del.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(old.spiIn)] },
    ]);
    //             <-- INFORMATIONAL SK{ D(ESP) }
    const gone = x.deliver(x.gw.respond(del));
    expect(of(gone, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);

    // The old SA is gone: a late request for it is dropped, the new one can be rekeyed again.
    expect(
      onlyDropped(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'seq-soft-limit' })),
    ).toBe(true);
    const again = x.input({ type: 'rekey-child', spiIn: fresh.spiInitiator, reason: 'lifetime' });
    expect(x.gw.open(onlySent(again)).payloads[0]).toMatchObject({
      notifyType: NotifyStatusType.REKEY_SA,
      spi: be32(fresh.spiInitiator),
    });
  });

  it('asks only once while that rekey is queued or in flight, and not with the lifetime timer too', () => {
    const x = establish({ childLifetimeMs: 3_600_000 });
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const first = x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'seq-soft-limit' });
    expect(sends(first)).toHaveLength(1);
    // The data plane repeats itself on every packet near the limit: no second exchange.
    expect(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'seq-soft-limit' })).toEqual(
      [],
    );
    // Nor does the soft-lifetime timer start a second rekey of the same Child SA.
    expect(sends(x.fire('rekey-child'))).toHaveLength(0);
    const { response } = x.gw.answerCreateChild(onlySent(first));
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')).toHaveLength(1);
    // only the delete of the old SA follows
    expect(x.gw.open(onlySent(done)).exchangeType).toBe(ExchangeType.INFORMATIONAL);
  });

  it('queues behind an outstanding request of ours', () => {
    const x = establish();
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    // INFORMATIONAL SK{} -->   (a liveness check, message ID 2)
    const ping = x.gw.open(onlySent(x.input({ type: 'probe' })));
    // (the rekey request waits: one request in flight, RFC 7296 §2.3)
    expect(sends(x.input({ type: 'rekey-child', spiIn: old.spiIn, reason: 'lifetime' }))).toEqual(
      [],
    );
    //             <-- INFORMATIONAL SK{}
    // CREATE_CHILD_SA SK{ N(REKEY_SA), … } -->   (message ID 3)
    const next = x.gw.open(onlySent(x.deliver(x.gw.respond(ping))));
    expect(next).toMatchObject({ exchangeType: ExchangeType.CREATE_CHILD_SA, messageId: 3 });
  });

  it('is dropped for an unknown SPI and ignored before the IKE SA is up', () => {
    const x = establish();
    const out = x.input({ type: 'rekey-child', spiIn: 0x12345678, reason: 'seq-soft-limit' });
    expect(onlyDropped(out)).toBe(true);
    expect(timelineEvents(out)[0]).toMatchObject({ reason: expect.stringContaining('unknown') });

    const y = new Exchange(sessionConfig(), responderFor());
    const init = onlySent(y.start());
    expect(y.input({ type: 'rekey-child', spiIn: 1, reason: 'lifetime' })).toEqual([]);
    // the handshake carries on untouched
    expect(sentBytes(y.deliver(y.gw.answerInit(init, CLIENT)))).toHaveLength(1);
  });
});
