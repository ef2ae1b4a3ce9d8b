/**
 * Certificate and EAP-MSCHAPv2 establishment against the scripted gateway, with a real PKI
 * (openssl-issued ECDSA certificates, node:crypto signatures) and every failure the user must be
 * told about: a bad signature, the wrong identity, an expired or untrusted certificate, a
 * rejected password, a gateway that fails to prove the password, a wrong final AUTH.
 *
 *   cert  IKE_AUTH SK{ IDi, CERT, N(INITIAL_CONTACT), CERTREQ, IDr, AUTH(sig), CP, SA, TSi, TSr } -->
 *         <-- SK{ IDr, CERT, AUTH(sig), CP, SA, TSi, TSr }
 *   EAP   IKE_AUTH SK{ IDi, N(INITIAL_CONTACT), CERTREQ, IDr, CP, SA, TSi, TSr } -->     (no AUTH)
 *         <-- SK{ IDr, CERT, AUTH(sig), EAP(Request/Identity) }
 *         SK{ EAP(Response/Identity) } -->   <-- SK{ EAP(Request/MSCHAPv2 Challenge) }
 *         SK{ EAP(MSCHAPv2 Response) } -->   <-- SK{ EAP(Request/MSCHAPv2 Success "S=…") }
 *         SK{ EAP(MSCHAPv2 Success Response) } -->   <-- SK{ EAP(Success) }
 *         SK{ AUTH(MSK) } -->   <-- SK{ AUTH(MSK), CP, SA, TSi, TSr }
 */
import { describe, expect, it } from 'vitest';
import type { IkeOutput } from '../../native-helper/ike/ike-events.js';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { NodeCryptoProvider } from '../../native-helper/platform/crypto/node-signature-provider.js';
import type { AuthOptions } from '../support/scripted-responder.js';
import { testPki, type TestCert } from '../support/test-pki.js';
import {
  CLIENT,
  Exchange,
  closedReason,
  of,
  onlySent,
  responderFor,
  sentBytes,
  sessionConfig,
  timelineEvents,
  type ConfigOptions,
} from './harness.js';

const pki = new NodeCryptoProvider();
const DAY = 86_400_000;
const USER = 'alice';
const PASSWORD = 'clientPassword';

type Mode = 'cert' | 'eap';

function exchange(mode: Mode, gatewayCert: TestCert, o: ConfigOptions = {}, password = PASSWORD) {
  const p = testPki();
  const x = new Exchange(
    sessionConfig({
      auth:
        mode === 'cert'
          ? { method: 'cert', certificates: [p.client.der], privateKeyPem: p.client.keyPem }
          : { method: 'eap-mschapv2', username: USER, password },
      trustedCas: [p.root.pem],
      pki,
      ...o,
    }),
    responderFor({
      pki,
      cert: { chain: [gatewayCert.der], keyPem: gatewayCert.keyPem },
      eap: { username: USER, password: PASSWORD },
    }),
  );
  x.now = Date.now(); // certificates are checked against the session clock
  return x;
}

/** IKE_SA_INIT and the first IKE_AUTH round; returns our IKE_AUTH request and the answer's outputs. */
function firstAuth(x: Exchange, a: AuthOptions = {}) {
  const init = onlySent(x.start());
  const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
  const request = x.gw.open(auth);
  return { request, out: x.deliverAll(x.gw.answerAuth(auth, a)) };
}

function failedWith(out: IkeOutput[]) {
  const reason = closedReason(out);
  return reason?.kind === 'failed' ? reason.error : undefined;
}

describe('certificate authentication', () => {
  it('establishes: our signature verifies at the gateway, its chain and signature at ours', () => {
    const x = exchange('cert', testPki().gateway);
    const { request, out } = firstAuth(x);
    const types = request.payloads.map((p) => p.type);
    expect(types).toContain(PayloadType.CERT);
    expect(types).toContain(PayloadType.CERTREQ);
    const [auth] = payloadsOf(request.payloads, PayloadType.AUTH);
    expect([9, 14]).toContain(auth!.method); // ECDSA P-256 (or RFC 7427 digital signature)
    expect(x.gw.initiatorAuthVerified).toBe(true);
    expect(timelineEvents(out)).toContainEqual({
      kind: 'authenticated',
      peer: 'vpn.example.com',
      method: 'certificate',
    });
    expect(of(out, 'established')).toHaveLength(1);
    expect(of(out, 'install-child-sa')).toHaveLength(1);
  });

  it('a signature that does not verify: authentication-failed (by us), the gateway is told', () => {
    const x = exchange('cert', testPki().gateway);
    const { out } = firstAuth(x, { corruptAuth: true });
    expect(failedWith(out)).toMatchObject({ code: 'authentication-failed', by: 'us' });
    expect(of(out, 'install-child-sa')).toEqual([]);
    // INFORMATIONAL SK{ N(AUTHENTICATION_FAILED) } -->
    const told = x.gw.open(onlySent(out));
    expect(payloadsOf(told.payloads, PayloadType.NOTIFY)[0]!.notifyType).toBe(
      NotifyErrorType.AUTHENTICATION_FAILED,
    );
  });

  it('a certificate for another name: identity-mismatch (certificate)', () => {
    const x = exchange('cert', testPki().otherName);
    const { out } = firstAuth(x);
    expect(failedWith(out)).toMatchObject({
      code: 'identity-mismatch',
      where: 'certificate',
      expected: 'vpn.example.com',
      received: expect.stringContaining('vpn.other.net'),
    });
  });

  it('an IDr other than the configured remote identity: identity-mismatch (IDr)', () => {
    const x = exchange('cert', testPki().gateway);
    const other = { idType: 2, data: new TextEncoder().encode('evil.example.net') };
    const { out } = firstAuth(x, { id: other });
    expect(failedWith(out)).toMatchObject({
      code: 'identity-mismatch',
      where: 'IDr',
      received: 'evil.example.net',
    });
  });

  it('an expired certificate: certificate-expired with its end date', () => {
    const gw = testPki().gateway;
    const x = exchange('cert', gw);
    const init = onlySent(x.start());
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    // a year and a day later (the session's clock is what the chain is checked against)
    const out = x.deliverAll(x.gw.answerAuth(auth), gw.notAfter + DAY);
    expect(failedWith(out)).toMatchObject({
      code: 'certificate-expired',
      notAfter: new Date(gw.notAfter).toISOString(),
    });
  });

  it('a certificate from a CA we do not trust: certificate-untrusted', () => {
    const x = exchange('cert', testPki().untrusted);
    const { out } = firstAuth(x);
    expect(failedWith(out)).toMatchObject({ code: 'certificate-untrusted' });
    expect(of(out, 'established')).toEqual([]);
  });

  it('the gateway rejects our certificate signature: authentication-failed (by the peer)', () => {
    const p = testPki();
    // our certificate, signed with a key that is not its own
    const x = exchange('cert', p.gateway, {
      auth: { method: 'cert', certificates: [p.client.der], privateKeyPem: p.otherName.keyPem },
    });
    const { out } = firstAuth(x);
    expect(x.gw.initiatorAuthVerified).toBe(false);
    expect(failedWith(out)).toMatchObject({ code: 'authentication-failed', by: 'peer' });
  });
});

describe('EAP-MSCHAPv2', () => {
  /** Drives the EAP rounds; `rounds` answers from the gateway, each given our last request. */
  function eapRounds(
    x: Exchange,
    steps: ((req: Uint8Array) => Uint8Array[])[],
  ): { last: IkeOutput[]; requests: Uint8Array[] } {
    const { out } = firstAuth(x);
    let last = out;
    const requests: Uint8Array[] = [];
    for (const step of steps) {
      if (closedReason(last)) break;
      const req = onlySent(last);
      requests.push(req);
      last = x.deliverAll(step(req));
    }
    return { last, requests };
  }
  const ok = (x: Exchange) => (req: Uint8Array) => x.gw.answerEap(req);

  it('establishes after the gateway proved itself with a certificate and EAP succeeded', () => {
    const x = exchange('eap', testPki().gateway);
    const { out } = firstAuth(x);
    expect(timelineEvents(out)).toContainEqual({
      kind: 'authenticated',
      peer: 'vpn.example.com',
      method: 'certificate',
    });
    // SK{ EAP(Response/Identity "alice") } -->
    const idResp = x.gw.open(onlySent(out));
    expect(payloadsOf(idResp.payloads, PayloadType.EAP)[0]).toMatchObject({
      code: 2,
      eapType: 1,
      data: new TextEncoder().encode(USER),
    });
    let last = x.deliverAll(x.gw.answerEap(onlySent(out))); // <-- Challenge; Response -->
    last = x.deliverAll(x.gw.answerEap(onlySent(last))); // <-- Success request; Success response -->
    last = x.deliverAll(x.gw.answerEap(onlySent(last))); // <-- EAP-Success; AUTH(MSK) -->
    const authMsk = x.gw.open(onlySent(last));
    expect(payloadsOf(authMsk.payloads, PayloadType.AUTH)[0]).toMatchObject({ method: 2 });
    const done = x.deliverAll(x.gw.answerEap(onlySent(last))); // <-- AUTH(MSK), CP, SA, TS
    expect(x.gw.initiatorAuthVerified).toBe(true);
    expect(of(done, 'established')).toHaveLength(1);
    expect(of(done, 'install-child-sa')).toHaveLength(1);
    expect(timelineEvents(x.log).filter((e) => e.kind === 'eap-round')).toHaveLength(4);
  });

  it('a wrong password: the gateway answers an MS-CHAPv2 Failure → eap-failed', () => {
    const x = exchange('eap', testPki().gateway, {}, 'not the password');
    const { last } = eapRounds(x, [ok(x), ok(x)]);
    expect(failedWith(last)).toMatchObject({ code: 'eap-failed' });
    expect(of(x.log, 'install-child-sa')).toEqual([]);
  });

  it('an EAP-Failure from the gateway → eap-failed', () => {
    const x = exchange('eap', testPki().gateway);
    const { last } = eapRounds(x, [ok(x), (r) => x.gw.answerEap(r, { reject: 'eap-failure' })]);
    expect(failedWith(last)).toMatchObject({ code: 'eap-failed' });
  });

  it('a gateway that cannot prove it knows the password (wrong "S=") → eap-failed', () => {
    const x = exchange('eap', testPki().gateway);
    const { last } = eapRounds(x, [ok(x), (r) => x.gw.answerEap(r, { wrongAuthenticator: true })]);
    expect(failedWith(last)).toMatchObject({ code: 'eap-failed' });
    expect(of(x.log, 'install-child-sa')).toEqual([]);
  });

  it('a final AUTH(MSK) that does not match → authentication-failed (by us)', () => {
    const x = exchange('eap', testPki().gateway);
    const init = onlySent(x.start());
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    let last = x.deliverAll(x.gw.answerAuth(auth, { corruptFinalAuth: true }));
    for (let i = 0; i < 4 && !closedReason(last); i++)
      last = x.deliverAll(x.gw.answerEap(onlySent(last)));
    expect(failedWith(last)).toMatchObject({ code: 'authentication-failed', by: 'us' });
    expect(of(x.log, 'established')).toEqual([]);
  });

  it('an expired gateway certificate ends it before any EAP is sent', () => {
    const gw = testPki().gateway;
    const x = exchange('eap', gw);
    const init = onlySent(x.start());
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    const out = x.deliverAll(x.gw.answerAuth(auth), gw.notAfter + DAY);
    expect(failedWith(out)).toMatchObject({ code: 'certificate-expired' });
    const sent = sentBytes(out).map((b) => x.gw.open(b));
    expect(sent.flatMap((m) => payloadsOf(m.payloads, PayloadType.EAP))).toEqual([]);
  });
});

describe('the gateway identity is required where a certificate proves it', () => {
  it.each(['cert', 'eap'] as const)(
    '%s without remoteId: config-invalid naming remoteId, before anything is sent',
    (mode) => {
      const x = exchange(mode, testPki().gateway, { remoteId: undefined });
      const out = x.start();
      expect(sentBytes(out)).toEqual([]);
      expect(failedWith(out)).toMatchObject({
        code: 'config-invalid',
        field: 'remoteId',
        detail: expect.stringContaining('set "remoteId"'),
      });
      expect(x.session.state).toBe('closed');
    },
  );

  it('PSK without remoteId still works: the key identifies the gateway, no IDr is asked for', () => {
    const x = new Exchange(sessionConfig({ remoteId: undefined }), responderFor());
    const auth = sentBytes(x.deliver(x.gw.answerInit(onlySent(x.start()), CLIENT)));
    const request = x.gw.open(auth);
    expect(payloadsOf(request.payloads, PayloadType.IDR)).toEqual([]);
    const out = x.deliverAll(x.gw.answerAuth(auth));
    expect(timelineEvents(out)).toContainEqual({
      kind: 'authenticated',
      peer: 'vpn.example.com',
      method: 'psk',
    });
    expect(of(out, 'established')).toHaveLength(1);
  });
});
