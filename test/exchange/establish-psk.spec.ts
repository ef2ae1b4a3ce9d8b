/**
 * PSK establishment against the scripted responder, hop by hop: what goes on the wire, which
 * Child SA is installed (keys cross-checked with the responder's own derivation) and what the
 * tunnel is configured with.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../native-helper/ike/message/message.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { CpAttributeType } from '../../native-helper/ike/message/cp-payload.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { natDetectionHash } from '../../native-helper/ike/crypto/nat-detection.js';
import { cidrToRange } from '../../native-helper/ike/traffic-selectors.js';
import {
  CLIENT,
  CLIENT_NATT,
  Exchange,
  GATEWAY,
  GATEWAY_NATT,
  armed,
  establish,
  of,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  timelineEvents,
} from './harness.js';

describe('PSK establishment', () => {
  it('brings up the IKE SA and the Child SA with keys both sides derived alike', () => {
    const x = new Exchange(sessionConfig(), responderFor());

    // IKE_SA_INIT { SA, KE, Ni, N(NAT_D_S), N(NAT_D_D) } -->
    const start = x.start();
    const [initSend] = sends(start);
    expect(initSend).toMatchObject({ from: CLIENT, to: GATEWAY, nonEspMarker: false });
    expect(armed(start, 'retransmit')).toEqual([x.now + 4_000]);
    const init = x.gw.readInit(initSend!.bytes);
    expect(init.messageId).toBe(0);
    expect(init.payloads.map((p) => p.type)).toEqual([
      PayloadType.SA,
      PayloadType.KE,
      PayloadType.NONCE,
      PayloadType.NOTIFY,
      PayloadType.NOTIFY,
      PayloadType.NOTIFY,
    ]);
    // N(NAT_D_S), N(NAT_D_D), N(REDIRECT_SUPPORTED) (RFC 5685 §4: we follow redirects)
    expect(payloadsOf(init.payloads, PayloadType.NOTIFY).map((n) => n.notifyType)).toEqual([
      NotifyStatusType.NAT_DETECTION_SOURCE_IP,
      NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
      NotifyStatusType.REDIRECT_SUPPORTED,
    ]);
    // Our NAT_D_D hashes the gateway's address as we address it (RFC 7296 §2.23).
    const natdD = payloadsOf(init.payloads, PayloadType.NOTIFY).find(
      (n) => n.notifyType === NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
    );
    expect(natdD?.data).toEqual(
      natDetectionHash(init.spiI, new Uint8Array(8), GATEWAY.address, GATEWAY.port),
    );

    //             <-- IKE_SA_INIT { SA, KE, Nr, N(NAT_D_S), N(NAT_D_D) }
    // IKE_AUTH SK{ IDi, N(INITIAL_CONTACT), IDr, AUTH, CP(CFG_REQUEST), SA, TSi, TSr } -->
    const afterInit = x.deliver(x.gw.answerInit(initSend!.bytes, CLIENT));
    const [authSend] = sends(afterInit);
    // Floated to 4500 with the non-ESP marker for everything after IKE_SA_INIT.
    expect(authSend).toMatchObject({ from: CLIENT_NATT, to: GATEWAY_NATT, nonEspMarker: true });
    expect(timelineEvents(afterInit).map((e) => e.kind)).toContain('floated-to-natt');
    expect(armed(afterInit, 'retransmit')).toEqual([x.now + 4_000]);
    const auth = x.gw.open(authSend!.bytes);
    expect(auth).toMatchObject({
      exchangeType: ExchangeType.IKE_AUTH,
      messageId: 1,
      initiator: true,
      response: false,
    });
    expect(auth.payloads.map((p) => p.type)).toEqual([
      PayloadType.IDI,
      PayloadType.NOTIFY,
      PayloadType.IDR,
      PayloadType.AUTH,
      PayloadType.CP,
      PayloadType.SA,
      PayloadType.TSI,
      PayloadType.TSR,
    ]);
    expect(payloadsOf(auth.payloads, PayloadType.NOTIFY)[0]?.notifyType).toBe(
      NotifyStatusType.INITIAL_CONTACT,
    );

    //             <-- IKE_AUTH SK{ IDr, AUTH, CP(CFG_REPLY), SA, TSi(10.10.0.5), TSr(10.1.0.0/16) }
    const done = x.deliverAll(x.gw.answerAuth(authSend!.bytes));
    expect(x.gw.initiatorAuthVerified).toBe(true);
    expect(sends(done)).toHaveLength(0);
    expect(x.session.state).toBe('established');

    const [install] = of(done, 'install-child-sa');
    const gwChild = x.gw.childSas[0]!;
    expect(install!.sa).toMatchObject({
      spiIn: gwChild.spiInitiator,
      spiOut: gwChild.spiResponder,
      encr: 20,
      encrKeyBits: 256,
      integ: 0,
      proposal: 'aes256gcm16',
      local: CLIENT_NATT,
      remote: GATEWAY_NATT,
    });
    // Inbound to us = responder → initiator keys; outbound = initiator → responder.
    expect(install!.sa.encrKeyOut).toEqual(gwChild.keys.encrI);
    expect(install!.sa.encrKeyIn).toEqual(gwChild.keys.encrR);
    expect(install!.sa.encrKeyIn).toHaveLength(36);
    expect(install!.sa.encrKeyIn).not.toEqual(install!.sa.encrKeyOut);
    // The narrowed selectors, not the 0.0.0.0/0 we asked for.
    expect(install!.sa.tsLocal).toEqual([cidrToRange('10.10.0.5/32')]);
    expect(install!.sa.tsRemote).toEqual([cidrToRange('10.1.0.0/16')]);

    const [established] = of(done, 'established');
    expect(established!.config).toMatchObject({
      virtualIp4: '10.10.0.5',
      dns: ['10.1.0.53', '10.1.0.54'],
      ike: 'aes256gcm16-prfsha256-x25519',
      esp: 'aes256gcm16',
      tsLocal: [cidrToRange('10.10.0.5/32')],
      tsRemote: [cidrToRange('10.1.0.0/16')],
      natDetected: { local: false, remote: false },
      server: GATEWAY_NATT,
      local: CLIENT_NATT,
    });
    expect(timelineEvents(done)).toContainEqual({
      kind: 'authenticated',
      peer: 'vpn.example.com',
      method: 'psk',
    });
    expect(of(done, 'cancel-timer').map((c) => c.timer)).toContain('retransmit');
    expect(armed(done, 'dpd')).toEqual([x.now + 30_000]);
  });

  it('derives AES-CBC + HMAC keys in matching directions too', () => {
    const x = establish({
      ike: 'aes128-sha256-prfsha256-ecp256',
      esp: 'aes128-sha256',
    });
    const [install] = of(x.log, 'install-child-sa');
    const gwChild = x.gw.childSas[0]!;
    expect(install!.sa.proposal).toBe('aes128-sha256');
    expect(install!.sa.encrKeyOut).toEqual(gwChild.keys.encrI);
    expect(install!.sa.integKeyOut).toEqual(gwChild.keys.integI);
    expect(install!.sa.encrKeyIn).toEqual(gwChild.keys.encrR);
    expect(install!.sa.integKeyIn).toEqual(gwChild.keys.integR);
    expect(install!.sa.integKeyIn).toHaveLength(32);
    expect(of(x.log, 'established')[0]!.config.ike).toBe('aes128-sha256-ecp256');
  });

  it('CP: the networks the gateway announces (INTERNAL_IP4_SUBNET) reach the tunnel config', () => {
    const x = new Exchange(
      sessionConfig(),
      responderFor({ subnets: ['10.1.0.0/16', '192.168.77.0/24', '172.16.5.9/32'] }),
    );
    // IKE_SA_INIT … -->  <-- …
    // IKE_AUTH SK{ …, CP(CFG_REQUEST: IP4_ADDRESS, IP4_DNS, IP4_SUBNET), … } -->
    const auth = sentBytes(x.deliver(x.gw.answerInit(onlySent(x.start()), CLIENT)));
    //             <-- IKE_AUTH SK{ …, CP(CFG_REPLY: …, IP4_SUBNET ×3), … }
    const done = x.deliverAll(x.gw.answerAuth(auth));
    expect(x.gw.lastCpRequest?.attributes.map((a) => a.attributeType)).toContain(
      CpAttributeType.INTERNAL_IP4_SUBNET,
    );
    expect(of(done, 'established')[0]!.config).toMatchObject({
      virtualIp4: '10.10.0.5',
      subnets: ['10.1.0.0/16', '192.168.77.0/24', '172.16.5.9/32'],
    });
  });

  it('without INTERNAL_IP4_SUBNET in the reply the config lists no subnets', () => {
    const x = establish();
    expect(of(x.log, 'established')[0]!.config.subnets).toEqual([]);
  });

  it('is deterministic: the same seeds give the same bytes on the wire', () => {
    const run = (): Uint8Array[] =>
      establish().log.flatMap((o) => (o.type === 'send' ? [o.bytes] : []));
    expect(run()).toEqual(run());
  });

  it('sends IKE_AUTH exactly once per attempt and nothing after establishment', () => {
    const x = establish();
    expect(sentBytes(x.log)).toHaveLength(2);
    expect(decodeMessage(sentBytes(x.log)[0]!).ok).toBe(true);
  });

  it('the first IKE_SA_INIT carries no COOKIE and offers every configured proposal', () => {
    const x = new Exchange(
      sessionConfig({ ike: 'aes256gcm16-prfsha256-x25519,aes256-sha256-ecp256' }),
      responderFor(),
    );
    const init = x.gw.readInit(onlySent(x.start()));
    const [sa] = payloadsOf(init.payloads, PayloadType.SA);
    expect(sa!.proposals.map((p) => p.number)).toEqual([1, 2]);
    expect(
      payloadsOf(init.payloads, PayloadType.NOTIFY).some(
        (n) => n.notifyType === NotifyStatusType.COOKIE,
      ),
    ).toBe(false);
  });
});
