/**
 * What a person reads when authentication fails: the causes named in order with the profile's
 * own values, and the field to change.
 */
import { describe, expect, it } from 'vitest';
import { ikeErrorFix, ikeErrorMessage } from '../../../../native-helper/ike/ike-error.js';
import { diagnose, type DiagnosisContext } from '../../../../native-helper/tunnel/diagnosis.js';

const psk: DiagnosisContext = {
  method: 'psk',
  server: 'vpn.lab.test',
  localId: 'client1@psk.lab.test',
  localIdFromProfile: true,
  remoteId: 'other.lab.test',
  remoteIdFromProfile: true,
};

describe('diagnose', () => {
  it('AUTHENTICATION_FAILED from the gateway names secret, localId and remoteId with their values', () => {
    const d = diagnose(
      { code: 'authentication-failed', by: 'peer', detail: 'AUTHENTICATION_FAILED' },
      psk,
    );
    expect(d.message).toBe(
      'the gateway rejected our authentication (AUTHENTICATION_FAILED): the pre-shared key differs from the gateway\'s ("auth.secret"), or the gateway has no client "client1@psk.lab.test" ("localId"), or the gateway is not configured as "other.lab.test" ("remoteId"; strongSwan rejects the same way when it has no connection for the identity we ask for)',
    );
    expect(d.fix).toBe(
      'check, in this order: the pre-shared key differs from the gateway\'s; "localId" "client1@psk.lab.test"; "remoteId" "other.lab.test" — set "remoteId" to the gateway\'s own identity (its administrator knows it) and "localId" to yours; the gateway\'s log names the reason',
    );
  });

  it('AUTHENTICATION_FAILED without an IDr asked for ("sendRemoteId": false) does not blame remoteId', () => {
    const d = diagnose(
      { code: 'authentication-failed', by: 'peer', detail: 'AUTHENTICATION_FAILED' },
      { ...psk, remoteIdSent: false },
    );
    expect(d.message).toBe(
      'the gateway rejected our authentication (AUTHENTICATION_FAILED): the pre-shared key differs from the gateway\'s ("auth.secret"), or the gateway has no client "client1@psk.lab.test" ("localId")',
    );
    expect(d.fix).not.toContain('remoteId');
  });

  it('certificate and EAP profiles get their own first cause; derived identities are said to be derived', () => {
    const cert = diagnose(
      { code: 'authentication-failed', by: 'peer', detail: 'x' },
      {
        ...psk,
        method: 'cert',
        localId: 'CN=alice',
        localIdFromProfile: false,
        remoteId: 'vpn.lab.test',
        remoteIdFromProfile: false,
      },
    );
    expect(cert.message).toContain('the gateway does not accept the client certificate');
    expect(cert.message).toContain(
      'no client "CN=alice" (derived because the profile sets no "localId"',
    );
    expect(cert.message).toContain(
      'not configured as "vpn.lab.test" (the server name, asked for because the profile sets no "remoteId")',
    );
    const eap = diagnose(
      { code: 'authentication-failed', by: 'peer', detail: 'x' },
      { ...psk, method: 'eap-mschapv2' },
    );
    expect(eap.message).toContain('the username or password is wrong');
  });

  it('a gateway that names itself differently: the fix offers its name, or not to connect', () => {
    const d = diagnose(
      {
        code: 'identity-mismatch',
        expected: 'other.lab.test',
        received: 'vpn.lab.test',
        where: 'IDr',
      },
      psk,
    );
    expect(d.message).toBe(
      'the gateway at vpn.lab.test identified itself as "vpn.lab.test", not "other.lab.test" (the profile\'s "remoteId")',
    );
    expect(d.fix).toBe(
      'if "vpn.lab.test" is the gateway you meant to reach, set "remoteId": "vpn.lab.test" in the profile; if not, do not connect: something else is answering at vpn.lab.test',
    );
    const cert = diagnose(
      {
        code: 'identity-mismatch',
        expected: 'vpn.lab.test',
        received: 'CN=gw.example, SAN gw.example',
        where: 'certificate',
      },
      { ...psk, method: 'cert', remoteId: 'vpn.lab.test', remoteIdFromProfile: false },
    );
    expect(cert.message).toContain(
      'does not name "vpn.lab.test" (the server name, used because the profile sets no "remoteId")',
    );
    expect(cert.fix).toContain('(CN=gw.example, SAN gw.example)');
  });

  it('our check of the gateway AUTH failing with a PSK points at the key', () => {
    const d = diagnose(
      { code: 'authentication-failed', by: 'us', detail: 'its AUTH payload does not match' },
      psk,
    );
    expect(d.fix).toMatch(/^check "auth\.secret"/);
  });

  it("anything else, or no context, is the engine's own diagnosis", () => {
    const e = { code: 'internal-address-failure' } as const;
    expect(diagnose(e, psk)).toEqual({ message: ikeErrorMessage(e), fix: ikeErrorFix(e) });
    const a = { code: 'authentication-failed', by: 'peer', detail: 'x' } as const;
    expect(diagnose(a, undefined)).toEqual({ message: ikeErrorMessage(a), fix: ikeErrorFix(a) });
  });
});
