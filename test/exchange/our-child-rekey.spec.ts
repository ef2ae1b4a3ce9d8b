/**
 * Our own Child SA rekey on its lifetime (RFC 7296 §1.3.3, §2.8): CREATE_CHILD_SA with
 * N(REKEY_SA) naming our inbound SPI, the new SA installed with keys the responder derived alike,
 * then the old one deleted with an INFORMATIONAL { D(ESP) }.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { be32 } from '../support/scripted-responder.js';
import { armed, establish, of, onlySent, timelineEvents } from './harness.js';

const HOUR = 3_600_000;

describe('our Child SA rekey', () => {
  function rekey(esp: string, pfs: boolean) {
    const x = establish({ esp, childLifetimeMs: HOUR });
    const t = x.now;
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    // Rekey at 80–90 % of the lifetime (jitter).
    const [at] = armed(x.log, 'rekey-child');
    expect(at).toBeGreaterThanOrEqual(t + 0.8 * HOUR);
    expect(at).toBeLessThanOrEqual(t + 0.9 * HOUR);

    // CREATE_CHILD_SA SK{ N(REKEY_SA, ESP, our inbound SPI), SA, Ni, [KEi], TSi, TSr } -->
    const out = x.fire('rekey-child', at);
    const { response, child: fresh, request } = x.gw.answerCreateChild(onlySent(out));
    expect(request).toMatchObject({ exchangeType: ExchangeType.CREATE_CHILD_SA, messageId: 2 });
    const [rekeySa] = payloadsOf(request.payloads, PayloadType.NOTIFY);
    expect(rekeySa).toMatchObject({
      notifyType: NotifyStatusType.REKEY_SA,
      protocolId: 3,
      spi: be32(old.spiIn),
    });
    expect(payloadsOf(request.payloads, PayloadType.KE)).toHaveLength(pfs ? 1 : 0);

    //             <-- CREATE_CHILD_SA SK{ SA, Nr, [KEr], TSi, TSr }
    // INFORMATIONAL SK{ D(ESP, old inbound SPI) } -->
    const done = x.deliver(response);
    const [install] = of(done, 'install-child-sa');
    expect(install!.sa).toMatchObject({ spiIn: fresh.spiInitiator, spiOut: fresh.spiResponder });
    expect(install!.sa.encrKeyOut).toEqual(fresh.keys.encrI);
    expect(install!.sa.encrKeyIn).toEqual(fresh.keys.encrR);
    expect(install!.sa.tsLocal).toEqual(old.tsLocal);
    expect(install!.sa.tsRemote).toEqual(old.tsRemote);
    expect(timelineEvents(done)).toContainEqual({
      kind: 'child-rekeyed',
      initiator: 'us',
      spiIn: fresh.spiInitiator,
    });
    expect(of(done, 'remove-child-sa')).toHaveLength(0);
    const del = x.gw.open(onlySent(done));
    expect(del.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(old.spiIn)] },
    ]);

    //             <-- INFORMATIONAL SK{ D(ESP, the gateway's old inbound SPI) }
    const gone = x.deliver(
      x.gw.respond(del, [
        { type: PayloadType.DELETE, protocolId: 3, spis: [be32(x.gw.childSas[0]!.spiResponder)] },
      ]),
    );
    expect(of(gone, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);
    expect(x.session.state).toBe('established');
  }

  it('without PFS', () => rekey('aes256gcm16', false));
  it('with PFS (x25519)', () => rekey('aes256gcm16-x25519', true));

  it('does not start rekeys without a lifetime', () => {
    const x = establish();
    expect(armed(x.log, 'rekey-child')).toEqual([]);
  });

  it('a PFS rekey answered without KE fails with invalid-ke after deleting the IKE SA', () => {
    const x = establish({ esp: 'aes256gcm16-x25519', childLifetimeMs: HOUR });
    const at = armed(x.log, 'rekey-child')[0]!;
    const out = x.fire('rekey-child', at);
    //             <-- CREATE_CHILD_SA SK{ SA, Nr, TSi, TSr }   (no KEr)
    const { response } = x.gw.answerCreateChild(onlySent(out), { omitKe: true });
    const done = x.deliver(response);
    expect(of(done, 'install-child-sa')).toHaveLength(0);
    // INFORMATIONAL SK{ D(IKE) } -->
    const del = x.gw.open(onlySent(done));
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    // Its retransmission is timed from now (fail() once used time 0).
    expect(armed(done, 'retransmit')).toEqual([at + 4_000]);
    //             <-- INFORMATIONAL SK{}
    expect(x.deliver(x.gw.respond(del)).find((o) => o.type === 'closed')).toMatchObject({
      reason: { kind: 'failed', error: { code: 'invalid-ke' } },
    });
  });
});
