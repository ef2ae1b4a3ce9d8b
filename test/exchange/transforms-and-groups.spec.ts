/**
 * One proposal per transform and key exchange group, each through a full in-memory PSK
 * establishment against the scripted gateway (which derives its keys with its own calls):
 *
 *   IKE_SA_INIT { SA(proposal), KE(group), Ni, … } -->   <-- { SA, KE, Nr, … }
 *   IKE_AUTH SK{ IDi, IDr, AUTH, CP, SA(esp), TSi, TSr } -->   <-- SK{ IDr, AUTH, CP, SA, TSi, TSr }
 *
 * IKE_AUTH only completes when both sides derived the same SK_e/SK_a/SK_p (each opens and
 * verifies the other's message); the Child SA keys are compared byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { nodeModpProvider } from '../../native-helper/platform/crypto/node-crypto-provider.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import {
  CLIENT,
  Exchange,
  of,
  onlySent,
  responderFor,
  sentBytes,
  sessionConfig,
} from './harness.js';

function establishWith(ike: string, esp: string) {
  const x = new Exchange(
    sessionConfig({ ike, esp, modp: nodeModpProvider }),
    responderFor({ modp: nodeModpProvider }),
  );
  const init = onlySent(x.start());
  const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
  const out = x.deliverAll(x.gw.answerAuth(auth));
  return { x, init: x.gw.readInit(init), out };
}

describe('IKE SA: each transform and group establishes, both sides derive the same keys', () => {
  const CASES: { ike: string; group: number }[] = [
    // encryption and integrity / PRF
    { ike: 'chacha20poly1305-prfsha256-x25519', group: 31 },
    { ike: 'aes128gcm16-prfsha256-x25519', group: 31 },
    { ike: 'aes128-sha256-x25519', group: 31 },
    { ike: 'aes192-sha384-x25519', group: 31 },
    { ike: 'aes256-sha512-x25519', group: 31 },
    { ike: 'aes256gcm16-prfsha384-x25519', group: 31 },
    { ike: 'aes256gcm16-prfsha512-x25519', group: 31 },
    // key exchange groups
    { ike: 'aes256gcm16-prfsha256-modp2048', group: 14 },
    { ike: 'aes256gcm16-prfsha256-modp3072', group: 15 },
    { ike: 'aes256gcm16-prfsha256-modp4096', group: 16 },
    { ike: 'aes256gcm16-prfsha256-ecp256', group: 19 },
    { ike: 'aes256gcm16-prfsha256-ecp384', group: 20 },
    { ike: 'aes256gcm16-prfsha256-ecp521', group: 21 },
    { ike: 'aes256gcm16-prfsha256-x25519', group: 31 },
    { ike: 'aes256gcm16-prfsha256-x448', group: 32 },
  ];
  it.each(CASES)('$ike (KE group $group)', ({ ike, group }) => {
    const { x, init, out } = establishWith(ike, 'aes256gcm16');
    expect(payloadsOf(init.payloads, PayloadType.KE)[0]?.group).toBe(group);
    // the gateway verified our AUTH (it has our SK_pi), we verified its (we have its SK_pr)
    expect(x.gw.initiatorAuthVerified).toBe(true);
    const [established] = of(out, 'established');
    expect(established?.config.ike).toBe(ike);
    // and the Child SA keys came from the same SK_d
    const [install] = of(out, 'install-child-sa');
    const gw = x.gw.childSas.at(-1)!;
    expect(install!.sa.encrKeyOut).toEqual(gw.keys.encrI);
    expect(install!.sa.encrKeyIn).toEqual(gw.keys.encrR);
  });
});

describe('Child SA: each ESP transform establishes with matching keys', () => {
  const CASES: { esp: string; encrBytes: number; integBytes: number }[] = [
    { esp: 'chacha20poly1305', encrBytes: 36, integBytes: 0 },
    { esp: 'aes128gcm16', encrBytes: 20, integBytes: 0 },
    { esp: 'aes256gcm16', encrBytes: 36, integBytes: 0 },
    { esp: 'aes128-sha256', encrBytes: 16, integBytes: 32 },
    { esp: 'aes192-sha384', encrBytes: 24, integBytes: 48 },
    { esp: 'aes256-sha512', encrBytes: 32, integBytes: 64 },
  ];
  it.each(CASES)('$esp', ({ esp, encrBytes, integBytes }) => {
    const { x, out } = establishWith('aes256gcm16-prfsha256-x25519', esp);
    const [established] = of(out, 'established');
    expect(established?.config.esp).toBe(esp);
    const [install] = of(out, 'install-child-sa');
    const gw = x.gw.childSas.at(-1)!;
    expect(install!.sa.proposal).toBe(esp);
    expect(install!.sa.encrKeyOut).toHaveLength(encrBytes);
    expect(install!.sa.integKeyOut).toHaveLength(integBytes);
    expect(install!.sa.encrKeyOut).toEqual(gw.keys.encrI);
    expect(install!.sa.integKeyOut).toEqual(gw.keys.integI);
    expect(install!.sa.encrKeyIn).toEqual(gw.keys.encrR);
    expect(install!.sa.integKeyIn).toEqual(gw.keys.integR);
    expect(install!.sa.encrKeyIn).not.toEqual(install!.sa.encrKeyOut);
  });
});
