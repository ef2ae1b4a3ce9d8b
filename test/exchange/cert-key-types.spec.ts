/**
 * Certificate authentication with every key type, in memory, both ways (RFC 7296 §2.15, RFC 4754,
 * RFC 7427, RFC 8420): RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256/384/521 and Ed25519.
 *
 *   IKE_SA_INIT { SA, KE, Ni, N(SIGNATURE_HASH_ALGORITHMS) } -->
 *               <-- { SA, KE, Nr, [N(SIGNATURE_HASH_ALGORITHMS)] }
 *   IKE_AUTH SK{ IDi, CERT, N(INITIAL_CONTACT), CERTREQ, IDr, AUTH(method), CP, SA, TSi, TSr } -->
 *               <-- SK{ IDr, CERT, AUTH(method), CP, SA, TSi, TSr }
 *
 * Our AUTH is verified by the scripted gateway with the key of the CERT we sent (it answers
 * AUTHENTICATION_FAILED otherwise); the gateway's AUTH is verified by the session. Method 1
 * (RSA with SHA-1) is only ever verified, never sent by us.
 */
import { describe, expect, it } from 'vitest';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { parseDigitalSignatureAuth } from '../../native-helper/ike/crypto/signature.js';
import { NodeCryptoProvider } from '../../native-helper/platform/crypto/node-signature-provider.js';
import type { AuthOptions, InitOptions } from '../support/scripted-responder.js';
import { keyTypePki, testPki, type TestKeyType } from '../support/test-pki.js';
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

const pki = new NodeCryptoProvider();
/** What strongSwan announces: SHA-256/384/512 and identity (Ed25519). */
const HASHES = [2, 3, 4, 5];

function run(ours: TestKeyType, theirs: TestKeyType, init: InitOptions, auth: AuthOptions = {}) {
  const p = testPki();
  const k = keyTypePki();
  const x = new Exchange(
    sessionConfig({
      auth: {
        method: 'cert',
        certificates: [k.clients[ours].der],
        privateKeyPem: k.clients[ours].keyPem,
      },
      trustedCas: [p.root.pem],
      pki,
    }),
    responderFor({
      pki,
      cert: { chain: [k.gateways[theirs].der], keyPem: k.gateways[theirs].keyPem },
    }),
  );
  x.now = Date.now(); // certificates are checked against the session clock
  // IKE_SA_INIT -->  <-- IKE_SA_INIT
  const req = sentBytes(x.deliver(x.gw.answerInit(onlySent(x.start()), CLIENT, init)));
  // IKE_AUTH SK{ IDi, CERT, …, AUTH } -->
  const request = x.gw.open(req);
  //             <-- IKE_AUTH SK{ IDr, CERT, AUTH, CP, SA, TSi, TSr }
  const out = x.deliverAll(x.gw.answerAuth(req, auth));
  const [ourAuth] = payloadsOf(request.payloads, PayloadType.AUTH);
  return { x, out, ourAuth: ourAuth! };
}

describe('our certificate, each key type', () => {
  const CASES: {
    key: TestKeyType;
    hashes?: number[];
    method: number;
    algorithm?: string;
  }[] = [
    { key: 'rsa', hashes: HASHES, method: 14, algorithm: 'sha256WithRSAEncryption' },
    { key: 'rsa-pss', hashes: HASHES, method: 14, algorithm: 'RSASSA-PSS-SHA256' },
    { key: 'p256', method: 9 },
    { key: 'p384', method: 10 },
    { key: 'p521', method: 11 },
    { key: 'p256', hashes: HASHES, method: 14, algorithm: 'ecdsa-with-SHA256' },
    { key: 'p384', hashes: HASHES, method: 14, algorithm: 'ecdsa-with-SHA384' },
    { key: 'p521', hashes: HASHES, method: 14, algorithm: 'ecdsa-with-SHA512' },
    { key: 'ed25519', hashes: HASHES, method: 14, algorithm: 'Ed25519' },
  ];
  it.each(CASES)(
    '$key, gateway hashes $hashes: AUTH method $method ($algorithm), verified, established',
    ({ key, hashes, method, algorithm }) => {
      const { x, out, ourAuth } = run(key, 'p256', hashes ? { signatureHashes: hashes } : {});
      expect(ourAuth.method).toBe(method);
      if (algorithm) {
        const parsed = parseDigitalSignatureAuth(ourAuth.data);
        expect(parsed.ok && parsed.algorithm.name).toBe(algorithm);
      }
      expect(x.gw.initiatorAuthVerified).toBe(true);
      expect(of(out, 'established')).toHaveLength(1);
      const [install] = of(out, 'install-child-sa');
      expect(install!.sa.encrKeyIn).toEqual(x.gw.childSas.at(-1)!.keys.encrR);
    },
  );

  it('the gateway checks what we sign: a client key that is not the certificate’s fails there', () => {
    // our P-384 certificate, signed with the P-256 client key: the gateway refuses it
    const p = testPki();
    const k = keyTypePki();
    const x = new Exchange(
      sessionConfig({
        auth: {
          method: 'cert',
          certificates: [k.clients.p384.der],
          privateKeyPem: p.client.keyPem,
        },
        trustedCas: [p.root.pem],
        pki,
      }),
      responderFor({ pki, cert: { chain: [k.gateways.p256.der], keyPem: k.gateways.p256.keyPem } }),
    );
    x.now = Date.now();
    const req = sentBytes(x.deliver(x.gw.answerInit(onlySent(x.start()), CLIENT)));
    const out = x.deliverAll(x.gw.answerAuth(req));
    expect(x.gw.initiatorAuthVerified).toBe(false);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'authentication-failed', by: 'peer' },
    });
  });
});

describe('the gateway’s certificate, each key type', () => {
  const CASES: { key: TestKeyType; method: 1 | 9 | 10 | 11 | 14 }[] = [
    { key: 'rsa', method: 1 },
    { key: 'rsa', method: 14 },
    { key: 'rsa-pss', method: 14 },
    { key: 'p256', method: 9 },
    { key: 'p384', method: 10 },
    { key: 'p521', method: 11 },
    { key: 'p521', method: 14 },
    { key: 'ed25519', method: 14 },
  ];
  it.each(CASES)(
    '$key with AUTH method $method: verified by us, established',
    ({ key, method }) => {
      const { x, out } = run('p256', key, {}, { gatewayMethod: method });
      expect(x.gw.initiatorAuthVerified).toBe(true);
      expect(of(out, 'established')).toHaveLength(1);
    },
  );

  it.each(CASES)(
    '$key with AUTH method $method, one bit of the signature flipped: authentication-failed',
    ({ key, method }) => {
      const { x, out } = run('p256', key, {}, { gatewayMethod: method, corruptAuth: true });
      expect(of(out, 'established')).toHaveLength(0);
      expect(closedReason(out)).toMatchObject({
        kind: 'failed',
        error: { code: 'authentication-failed', by: 'us' },
      });
      // INFORMATIONAL SK{ N(AUTHENTICATION_FAILED) } -->
      const told = x.gw.open(onlySent(out));
      expect(payloadsOf(told.payloads, PayloadType.NOTIFY)[0]!.notifyType).toBe(
        NotifyErrorType.AUTHENTICATION_FAILED,
      );
    },
  );
});
