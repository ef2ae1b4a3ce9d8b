/**
 * Every IkeError code has a one-line message and a one-line fix (the CLI prints
 * "message — fix"; the app shows both). The table is a Record over IkeErrorCode, so a new code
 * without an entry here does not type-check.
 */
import { describe, expect, it } from 'vitest';
import {
  describeIkeError,
  ikeErrorFix,
  ikeErrorMessage,
  type IkeError,
  type IkeErrorCode,
} from '../../../../native-helper/ike/ike-error.js';

type ErrorOf<C extends IkeErrorCode> = Extract<IkeError, { code: C }>;

const SAMPLES: { [C in IkeErrorCode]: ErrorOf<C>[] } = {
  'no-proposal-chosen': [
    { code: 'no-proposal-chosen', stage: 'ike', offered: ['aes256gcm16-prfsha256-x25519'] },
    {
      code: 'no-proposal-chosen',
      stage: 'esp',
      offered: ['aes256gcm16', 'aes256-sha256'],
      peer: ['aes128gcm16'],
    },
  ],
  'authentication-failed': [
    { code: 'authentication-failed', by: 'peer', detail: 'AUTHENTICATION_FAILED' },
    { code: 'authentication-failed', by: 'us', detail: 'its signature does not verify' },
  ],
  'identity-mismatch': [
    { code: 'identity-mismatch', expected: 'vpn.example.com', received: 'x.net', where: 'IDr' },
    {
      code: 'identity-mismatch',
      expected: 'vpn.example.com',
      received: 'DNS:x.net',
      where: 'certificate',
    },
  ],
  'certificate-expired': [
    { code: 'certificate-expired', subject: 'CN=vpn', notAfter: '2026-01-01T00:00:00.000Z' },
  ],
  'certificate-not-yet-valid': [
    { code: 'certificate-not-yet-valid', subject: 'CN=vpn', notBefore: '2027-01-01T00:00:00.000Z' },
  ],
  'certificate-untrusted': [
    { code: 'certificate-untrusted', subject: 'CN=vpn', detail: 'no trusted issuer' },
  ],
  'certificate-invalid': [{ code: 'certificate-invalid', detail: 'bad chain' }],
  'ts-unacceptable': [{ code: 'ts-unacceptable', detail: 'TS_UNACCEPTABLE' }],
  'internal-address-failure': [{ code: 'internal-address-failure' }],
  'peer-unreachable': [
    {
      code: 'peer-unreachable',
      server: 'vpn.example.com',
      afterMs: 165_113,
      stage: 'IKE_SA_INIT',
      fragmentationHint: false,
    },
    {
      code: 'peer-unreachable',
      server: 'vpn.example.com',
      afterMs: 165_113,
      stage: 'IKE_AUTH',
      fragmentationHint: true,
    },
  ],
  'invalid-syntax': [{ code: 'invalid-syntax', detail: 'IKE_AUTH response without IDr or AUTH' }],
  'invalid-ke': [{ code: 'invalid-ke', detail: 'the gateway asked for group 2' }],
  'too-many-retries': [{ code: 'too-many-retries', detail: 'IKE_SA_INIT restarted 5 times' }],
  'redirect-loop': [{ code: 'redirect-loop', detail: '6 redirects within 300 s' }],
  'eap-failed': [{ code: 'eap-failed', detail: 'wrong password' }],
  'peer-deleted': [{ code: 'peer-deleted', detail: 'the gateway refused a new Child SA' }],
  'sa-expired': [{ code: 'sa-expired', detail: 'no IKE SA rekey completed within 45 s' }],
  'config-invalid': [{ code: 'config-invalid', field: 'remoteId', detail: 'set "remoteId"' }],
  'local-setup-failed': [{ code: 'local-setup-failed', detail: 'TUN device' }],
};

const ALL = Object.values(SAMPLES).flat() as IkeError[];

describe('IkeError diagnostics', () => {
  it.each(ALL.map((e) => [e.code, e] as const))(
    '%s: message and fix are non-empty single lines',
    (_code, e) => {
      for (const text of [ikeErrorMessage(e), ikeErrorFix(e), describeIkeError(e)]) {
        expect(text.trim().length).toBeGreaterThan(10);
        expect(text).not.toMatch(/[\r\n]/);
        expect(text).not.toMatch(/undefined|null|\[object/);
        expect(text).toBe(text.trim());
      }
      expect(describeIkeError(e)).toBe(`${ikeErrorMessage(e)} — ${ikeErrorFix(e)}`);
    },
  );

  it('the message carries the specifics (proposals, identities, server, time)', () => {
    expect(ikeErrorMessage(SAMPLES['no-proposal-chosen'][1]!)).toBe(
      'the gateway accepted none of our ESP proposals (aes256gcm16, aes256-sha256); it answered with aes128gcm16, which we did not offer',
    );
    expect(ikeErrorMessage(SAMPLES['identity-mismatch'][0]!)).toContain('x.net');
    expect(ikeErrorMessage(SAMPLES['peer-unreachable'][0]!)).toBe(
      'no answer from vpn.example.com during IKE_SA_INIT after 165 s',
    );
    expect(ikeErrorFix(SAMPLES['config-invalid'][0]!)).toContain('"remoteId"');
  });
});
