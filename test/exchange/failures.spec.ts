/**
 * IKE_AUTH failures, each ending in its typed error (the product's diagnostics): who rejected
 * whom, which identity, which selectors, which proposal.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import type { IkeOutput } from '../../native-helper/ike/ike-events.js';
import { cidrToRange, rangeToSelector } from '../../native-helper/ike/traffic-selectors.js';
import {
  CLIENT,
  Exchange,
  closedReason,
  of,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  type ConfigOptions,
} from './harness.js';
import type { AuthOptions } from '../support/scripted-responder.js';
import { testPki } from '../support/test-pki.js';
import { NodeCryptoProvider } from '../../native-helper/platform/crypto/node-signature-provider.js';
import { EapCode, EapType } from '../../native-helper/ike/message/eap-payload.js';
import type { ResponderConfig } from '../support/scripted-responder.js';

/** IKE_SA_INIT both ways, then the responder's IKE_AUTH answer scripted by `auth`. */
function authWith(auth: AuthOptions, o: ConfigOptions = {}, r: Partial<ResponderConfig> = {}) {
  const x = new Exchange(sessionConfig(o), responderFor(r));
  // IKE_SA_INIT -->  <-- IKE_SA_INIT
  const init = onlySent(x.start());
  // IKE_AUTH SK{ IDi, N(INITIAL_CONTACT), IDr, AUTH, CP, SA, TSi, TSr } -->
  const req = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
  //             <-- IKE_AUTH SK{ ... as scripted ... }
  const out = x.deliverAll(x.gw.answerAuth(req, auth));
  return { x, out };
}

/**
 * The gateway authenticated, so the IKE SA exists on both sides: refusing the Child SA deletes it.
 *   INFORMATIONAL SK{ D(IKE) } -->   <-- INFORMATIONAL SK{}   then closed with `error`
 */
function expectDeleteThen(x: Exchange, out: IkeOutput[], error: object): void {
  const del = x.gw.open(onlySent(out));
  expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
  expect(closedReason(out)).toBeUndefined();
  expect(closedReason(x.deliver(x.gw.respond(del)))).toMatchObject({ kind: 'failed', error });
}

describe('authentication failures', () => {
  it('wrong PSK: the gateway answers AUTHENTICATION_FAILED → authentication-failed by peer', () => {
    const { x, out } = authWith({}, {}, { psk: new TextEncoder().encode('another secret') });
    expect(x.gw.initiatorAuthVerified).toBe(false);
    expect(sends(out)).toHaveLength(0);
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'authentication-failed', by: 'peer' },
    });
  });

  it('the gateway AUTH does not verify → authentication-failed by us', () => {
    const { x, out } = authWith({ corruptAuth: true });
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(of(out, 'established')).toHaveLength(0);
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'authentication-failed',
        by: 'us',
        detail: 'its AUTH payload does not match the pre-shared key',
      },
    });
    // INFORMATIONAL SK{ N(AUTHENTICATION_FAILED) } -->   (we tell it why we go)
    const info = x.gw.open(onlySent(out));
    expect(info).toMatchObject({ exchangeType: ExchangeType.INFORMATIONAL, response: false });
    expect(info.payloads).toMatchObject([
      { type: PayloadType.NOTIFY, notifyType: NotifyErrorType.AUTHENTICATION_FAILED },
    ]);
  });

  it('a PSK profile, and the gateway answers with a signature AUTH → authentication-failed', () => {
    const gw = testPki().gateway;
    const { x, out } = authWith(
      {},
      {},
      { pki: new NodeCryptoProvider(), cert: { chain: [gw.der], keyPem: gw.keyPem } },
    );
    expect(x.gw.initiatorAuthVerified).toBe(true); // our PSK AUTH was fine
    expect(of(out, 'established')).toHaveLength(0);
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'authentication-failed',
        by: 'us',
        detail: 'the gateway used AUTH method 9, we expect a pre-shared key',
      },
    });
    // INFORMATIONAL SK{ N(AUTHENTICATION_FAILED) } -->
    expect(x.gw.open(onlySent(out)).payloads).toMatchObject([
      { type: PayloadType.NOTIFY, notifyType: NotifyErrorType.AUTHENTICATION_FAILED },
    ]);
  });

  it.each(['psk', 'eap'] as const)(
    '%s profile: an IKE_AUTH answer with EAP but no AUTH → invalid-syntax (the gateway proves itself first)',
    (mode) => {
      const x = new Exchange(
        sessionConfig(
          mode === 'eap'
            ? {
                auth: { method: 'eap-mschapv2', username: 'alice', password: 'pw' },
                trustedCas: [testPki().root.pem],
                pki: new NodeCryptoProvider(),
              }
            : {},
        ),
        responderFor(),
      );
      const req = x.gw.open(sentBytes(x.deliver(x.gw.answerInit(onlySent(x.start()), CLIENT))));
      //             <-- IKE_AUTH SK{ IDr, EAP(Request/Identity) }   (no CERT, no AUTH)
      const out = x.deliver(
        x.gw.respond(req, [
          { type: PayloadType.IDR, idType: 2, data: new TextEncoder().encode('vpn.example.com') },
          {
            type: PayloadType.EAP,
            code: EapCode.REQUEST,
            identifier: 1,
            eapType: EapType.IDENTITY,
            data: new Uint8Array(0),
          },
        ]),
      );
      expect(sends(out)).toHaveLength(0); // no EAP answer goes out
      expect(closedReason(out)).toEqual({
        kind: 'failed',
        error: {
          code: 'invalid-syntax',
          detail: 'the gateway started EAP without proving its identity first (no AUTH payload)',
        },
      });
    },
  );

  it('an IDr other than the configured remote ID → identity-mismatch', () => {
    const { out } = authWith({
      id: { idType: 2, data: new TextEncoder().encode('evil.example.net') },
    });
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(closedReason(out)).toEqual({
      kind: 'failed',
      error: {
        code: 'identity-mismatch',
        expected: 'vpn.example.com',
        received: 'evil.example.net',
        where: 'IDr',
      },
    });
  });

  it('an IDr of another type with the same bytes is a mismatch too', () => {
    const { out } = authWith({
      id: { idType: 3, data: new TextEncoder().encode('vpn.example.com') },
    });
    expect(closedReason(out)).toMatchObject({ error: { code: 'identity-mismatch' } });
  });
});

describe('Child SA failures', () => {
  it('TS wider than proposed → D(IKE), then ts-unacceptable, nothing installed', () => {
    const { x, out } = authWith(
      { tsr: [rangeToSelector(cidrToRange('10.0.0.0/8'))] },
      { remoteTs: [cidrToRange('10.1.0.0/16')] },
    );
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(of(out, 'established')).toHaveLength(0);
    expectDeleteThen(x, out, { code: 'ts-unacceptable' });
  });
  it('TS narrowed within what we proposed is accepted', () => {
    const { out } = authWith(
      { tsr: [rangeToSelector(cidrToRange('10.1.2.0/24'))] },
      { remoteTs: [cidrToRange('10.1.0.0/16')] },
    );
    expect(of(out, 'install-child-sa')[0]!.sa.tsRemote).toEqual([cidrToRange('10.1.2.0/24')]);
  });

  it('an ESP transform we never offered → D(IKE), then no-proposal-chosen (esp)', () => {
    const { x, out } = authWith({
      tamperChildChoice: (p) => ({
        ...p,
        transforms: p.transforms.map((t) =>
          t.transformType === 1
            ? { ...t, attributes: [{ format: 'tv', type: 14, value: 128 }] }
            : t,
        ),
      }),
    });
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    // ours, and (in strongSwan syntax) what the gateway chose instead
    expectDeleteThen(x, out, {
      code: 'no-proposal-chosen',
      stage: 'esp',
      offered: ['aes256gcm16'],
      peer: ['aes128gcm16'],
    });
  });
  it('TS_UNACCEPTABLE from the gateway: the authenticated IKE SA is deleted, then ts-unacceptable', () => {
    const { x, out } = authWith({ childError: NotifyErrorType.TS_UNACCEPTABLE });
    // INFORMATIONAL SK{ D(IKE) } -->
    const del = x.gw.open(onlySent(out));
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(closedReason(out)).toBeUndefined();
    //             <-- INFORMATIONAL SK{}
    expect(closedReason(x.deliver(x.gw.respond(del)))).toEqual({
      kind: 'failed',
      error: { code: 'ts-unacceptable', detail: 'the gateway answered TS_UNACCEPTABLE' },
    });
  });

  it('NO_PROPOSAL_CHOSEN for the Child SA → no-proposal-chosen (esp) after deleting the IKE SA', () => {
    const { x, out } = authWith({ childError: NotifyErrorType.NO_PROPOSAL_CHOSEN });
    const del = x.gw.open(onlySent(out));
    expect(closedReason(x.deliver(x.gw.respond(del)))).toMatchObject({
      error: { code: 'no-proposal-chosen', stage: 'esp', offered: ['aes256gcm16'] },
    });
  });

  it('no virtual IP in the reply when we asked for one → D(IKE), then internal-address-failure', () => {
    const { x, out } = authWith({ omitCp: true });
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expectDeleteThen(x, out, { code: 'internal-address-failure' });
  });
});
