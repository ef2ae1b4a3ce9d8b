import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  EapMschapv2Client,
  challengeHash,
  checkAuthenticatorResponse,
  encodeMschapv2Response,
  formatAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  mschapv2Msk,
  mschapv2UserName,
  ntPasswordHash,
  parseEapPacket,
  parseFailureMessage,
  parseMschapv2Request,
  parseSuccessMessage,
  type Mschapv2Step,
} from '../../../../../native-helper/ike/crypto/eap-mschapv2.js';
import type { Random } from '../../../../../native-helper/ike/crypto/random.js';
import { hex, toHex } from '../../../../support/hex.js';

// RFC 2759 §9.2 and RFC 3079 §3.5.3 sample values.
const USER = 'User';
const PASSWORD = 'clientPass';
const AUTH_CHALLENGE = hex('5B5D7C7D7B3F2F3E3C2C602132262628');
const PEER_CHALLENGE = hex('21402324255E262A28295F2B3A337C7E');
const CHALLENGE = 'd02e4386bce91226';
const PASSWORD_HASH = '44ebba8d5312b8d611474411f56989ae';
const NT_RESPONSE = '82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df';
const PASSWORD_HASH_HASH = '41c00c584bd2d91c4017a2a12fa59f3f';
const AUTHENTICATOR_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';
const MASTER_KEY = 'fdece3717a8c838cb388e527ae3cdd31';
// RFC 3079 §3.5.3 SendStartKey128 is the server's send key (Magic3) = the client's receive key.
const SERVER_SEND_START_KEY = '8b7cdc149b993a1ba118cb153f56dccb';

describe('MS-CHAPv2 computations (RFC 2759 §9.2)', () => {
  it('NtPasswordHash, HashNtPasswordHash', () => {
    expect(toHex(ntPasswordHash(PASSWORD))).toBe(PASSWORD_HASH);
    expect(toHex(hashNtPasswordHash(hex(PASSWORD_HASH)))).toBe(PASSWORD_HASH_HASH);
  });
  it('ChallengeHash', () => {
    expect(toHex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER))).toBe(CHALLENGE);
  });
  it('NT-Response (exercises DES)', () => {
    expect(
      toHex(generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, hex(PASSWORD_HASH))),
    ).toBe(NT_RESPONSE);
  });
  it('AuthenticatorResponse', () => {
    const ar = generateAuthenticatorResponse(
      hex(PASSWORD_HASH),
      hex(NT_RESPONSE),
      PEER_CHALLENGE,
      AUTH_CHALLENGE,
      USER,
    );
    expect(formatAuthenticatorResponse(ar)).toBe(AUTHENTICATOR_RESPONSE);
    expect(checkAuthenticatorResponse(AUTHENTICATOR_RESPONSE, ar)).toBe(true);
    expect(
      checkAuthenticatorResponse(AUTHENTICATOR_RESPONSE.toLowerCase().replace('s=', 'S='), ar),
    ).toBe(true);
    expect(checkAuthenticatorResponse(AUTHENTICATOR_RESPONSE.replace('56', '57'), ar)).toBe(false);
    expect(checkAuthenticatorResponse(AUTHENTICATOR_RESPONSE + '0', ar)).toBe(false);
    expect(checkAuthenticatorResponse('S=', ar)).toBe(false);
  });
  it('strips a DOMAIN\\ prefix for ChallengeHash only', () => {
    expect(mschapv2UserName('CORP\\User')).toBe('User');
    expect(mschapv2UserName('user@example.com')).toBe('user@example.com');
  });
  it('hashes non-ASCII passwords as UTF-16LE', () => {
    // MD4 of "é" as UTF-16LE (e9 00) is not MD4 of its UTF-8 bytes.
    expect(toHex(ntPasswordHash('é'))).not.toBe(toHex(ntPasswordHash('Ã©')));
    expect(() => ntPasswordHash('x'.repeat(257))).toThrow(RangeError);
  });
});

describe('MPPE keys and MSK (RFC 3079 §3.5.3, strongSwan layout)', () => {
  it('MasterKey', () => {
    expect(toHex(mppeMasterKey(hex(PASSWORD_HASH_HASH), hex(NT_RESPONSE)))).toBe(MASTER_KEY);
  });
  it('asymmetric start keys: server send = client receive = the RFC SendStartKey128', () => {
    const mk = hex(MASTER_KEY);
    expect(toHex(mppeAsymmetricStartKey(mk, true, true))).toBe(SERVER_SEND_START_KEY);
    expect(toHex(mppeAsymmetricStartKey(mk, false, false))).toBe(SERVER_SEND_START_KEY);
    expect(toHex(mppeAsymmetricStartKey(mk, true, false))).toBe(
      toHex(mppeAsymmetricStartKey(mk, false, true)),
    );
    expect(toHex(mppeAsymmetricStartKey(mk, true, false))).not.toBe(SERVER_SEND_START_KEY);
  });
  it('MSK = client send key (Magic2) ‖ client receive key (Magic3) ‖ 32 zero bytes', () => {
    const msk = mschapv2Msk(hex(PASSWORD_HASH), hex(NT_RESPONSE));
    expect(msk.length).toBe(64);
    const mk = hex(MASTER_KEY);
    expect(toHex(msk.subarray(0, 16))).toBe(toHex(mppeAsymmetricStartKey(mk, true, false)));
    expect(toHex(msk.subarray(16, 32))).toBe(SERVER_SEND_START_KEY);
    expect(toHex(msk.subarray(32))).toBe('00'.repeat(32));
    // Independent value for the first half (computed by other MS-CHAPv2 implementations).
    expect(toHex(msk.subarray(0, 16))).toBe('d5f0e9521e3ea9589645e86051c82226');
  });
});

// ── A test server built from the same primitives (the interop suite checks against strongSwan) ──

function fixedRandom(bytes: Uint8Array): Random {
  return { bytes: (n: number) => bytes.slice(0, n) };
}

function eap(code: number, id: number, type: number, typeData: Uint8Array): Uint8Array {
  const len = 5 + typeData.length;
  return Uint8Array.of(code, id, len >> 8, len & 0xff, type, ...typeData);
}

function mschapRequest(op: number, msId: number, data: Uint8Array, id = 7): Uint8Array {
  const len = 4 + data.length;
  return eap(1, id, 26, Uint8Array.of(op, msId, len >> 8, len & 0xff, ...data));
}

const challengeRequest = (id = 7): Uint8Array =>
  mschapRequest(
    1,
    42,
    Uint8Array.of(16, ...AUTH_CHALLENGE, ...new TextEncoder().encode('strongSwan')),
    id,
  );
const textRequest = (op: number, text: string, id = 8): Uint8Array =>
  mschapRequest(op, 42, new TextEncoder().encode(text), id);
const EAP_SUCCESS = Uint8Array.of(3, 9, 0, 4);
const EAP_FAILURE = Uint8Array.of(4, 9, 0, 4);

function newClient(password = PASSWORD, identity = USER): EapMschapv2Client {
  return new EapMschapv2Client({ identity, password, random: fixedRandom(PEER_CHALLENGE) });
}

function respond(step: Mschapv2Step): Uint8Array {
  if (step.kind !== 'respond') throw new Error(`expected a response, got ${JSON.stringify(step)}`);
  return step.eap;
}

describe('EapMschapv2Client', () => {
  it('answers the Challenge with the RFC 2759 NT-Response, verifies S=, then accepts EAP-Success with the MSK', () => {
    const c = newClient();
    // server → client: Challenge; client → server: Response
    const resp = respond(c.handle(challengeRequest()));
    const parsed = parseEapPacket(resp);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.packet).toMatchObject({ code: 2, identifier: 7, type: 26 });
    const td = parsed.packet.typeData;
    expect(td[0]).toBe(2); // Response
    expect(td[1]).toBe(42); // MS-CHAPv2-ID echoed
    expect((td[2]! << 8) | td[3]!).toBe(td.length);
    expect(td[4]).toBe(49);
    expect(toHex(td.subarray(5, 21))).toBe(toHex(PEER_CHALLENGE));
    expect(toHex(td.subarray(21, 29))).toBe('00'.repeat(8));
    expect(toHex(td.subarray(29, 53))).toBe(NT_RESPONSE);
    expect(td[53]).toBe(0);
    expect(new TextDecoder().decode(td.subarray(54))).toBe(USER);
    expect(c.msk).toBeUndefined();

    // server → client: Success request with S=; client → server: Success response
    const ack = respond(c.handle(textRequest(3, `${AUTHENTICATOR_RESPONSE} M=Welcome`)));
    expect(toHex(ack)).toBe('020800061a03');
    expect(c.msk).toBeUndefined();

    // server → client: EAP-Success
    const done = c.handle(EAP_SUCCESS);
    expect(done.kind).toBe('success');
    if (done.kind !== 'success') return;
    expect(toHex(done.msk)).toBe(toHex(mschapv2Msk(hex(PASSWORD_HASH), hex(NT_RESPONSE))));
    expect(toHex(c.msk!)).toBe(toHex(done.msk));
  });

  it('sends the full DOMAIN\\user name but hashes only the user part', () => {
    const c = newClient(PASSWORD, 'CORP\\User');
    const parsed = parseEapPacket(respond(c.handle(challengeRequest())));
    if (!parsed.ok) throw new Error('parse');
    expect(toHex(parsed.packet.typeData.subarray(29, 53))).toBe(NT_RESPONSE);
    expect(new TextDecoder().decode(parsed.packet.typeData.subarray(54))).toBe('CORP\\User');
  });

  it('rejects a Success request whose authenticator response is wrong (CVE-2015-8023)', () => {
    const c = newClient();
    c.handle(challengeRequest());
    const step = c.handle(textRequest(3, 'S=0000000000000000000000000000000000000000 M=ok'));
    expect(step.kind).toBe('failure');
    if (step.kind === 'failure') expect(step.failure.code).toBe('authentication-failed');
    expect(c.handle(EAP_SUCCESS).kind).toBe('failure');
    expect(c.msk).toBeUndefined();
  });

  it('rejects a Success request without S=, or computed for another password', () => {
    const c1 = newClient();
    c1.handle(challengeRequest());
    expect(c1.handle(textRequest(3, 'M=Welcome')).kind).toBe('failure');

    const c2 = newClient('otherPass');
    c2.handle(challengeRequest());
    expect(c2.handle(textRequest(3, AUTHENTICATOR_RESPONSE)).kind).toBe('failure');

    const c3 = newClient();
    c3.handle(challengeRequest());
    expect(
      c3.handle(textRequest(3, `${AUTHENTICATOR_RESPONSE} ${AUTHENTICATOR_RESPONSE}`)).kind,
    ).toBe('failure');
  });

  it('rejects an early EAP-Success: before the Challenge, and before the Success request (CVE-2021-45079)', () => {
    const c1 = newClient();
    const s1 = c1.handle(EAP_SUCCESS);
    expect(s1.kind === 'failure' && s1.failure.code).toBe('authentication-failed');
    expect(c1.msk).toBeUndefined();

    const c2 = newClient();
    c2.handle(challengeRequest());
    const s2 = c2.handle(EAP_SUCCESS);
    expect(s2.kind === 'failure' && s2.failure.code).toBe('authentication-failed');
    expect(c2.msk).toBeUndefined();
  });

  it('rejects an MS-CHAPv2 Success request before the Challenge', () => {
    const c = newClient();
    const s = c.handle(textRequest(3, AUTHENTICATOR_RESPONSE));
    expect(s.kind === 'failure' && s.failure.code).toBe('authentication-failed');
  });

  it('reports E=691 as wrong credentials with the server text, and acknowledges with a Failure Response', () => {
    const c = newClient();
    c.handle(challengeRequest());
    const s = c.handle(
      textRequest(
        4,
        'E=691 R=1 C=00112233445566778899aabbccddeeff V=3 M=Authentication failed, sorry',
      ),
    );
    expect(s.kind).toBe('failure');
    if (s.kind !== 'failure') return;
    expect(s.failure.code).toBe('wrong-credentials');
    expect(s.failure.serverError).toBe(691);
    expect(s.failure.message).toContain('Authentication failed, sorry');
    expect(s.failure.fix).toMatch(/password/);
    expect(toHex(s.eap!)).toBe('020800061a04');
    // the EAP-Failure that follows keeps the same diagnosis
    const again = c.handle(EAP_FAILURE);
    expect(again.kind === 'failure' && again.failure.code).toBe('wrong-credentials');
  });

  it('maps the other Windows error codes', () => {
    for (const [e, code] of [
      [646, 'restricted-logon-hours'],
      [647, 'account-disabled'],
      [648, 'password-expired'],
      [649, 'no-dialin-permission'],
      [12345, 'authentication-failed'],
    ] as const) {
      const c = newClient();
      c.handle(challengeRequest());
      const s = c.handle(textRequest(4, `E=${e} R=0 V=3`));
      expect(s.kind === 'failure' && s.failure.code).toBe(code);
    }
  });

  it('fails on EAP-Failure, a second Challenge, unknown opcodes and malformed packets', () => {
    const c1 = newClient();
    expect(c1.handle(EAP_FAILURE).kind).toBe('failure');

    const c2 = newClient();
    c2.handle(challengeRequest());
    const s2 = c2.handle(challengeRequest(8));
    expect(s2.kind === 'failure' && s2.failure.code).toBe('protocol-error');

    const c3 = newClient();
    const s3 = c3.handle(mschapRequest(7, 1, new Uint8Array(10)));
    expect(s3.kind === 'failure' && s3.failure.code).toBe('protocol-error');

    const c4 = newClient();
    // Value-Size 8 instead of 16
    const s4 = c4.handle(mschapRequest(1, 1, Uint8Array.of(8, ...new Uint8Array(16))));
    expect(s4.kind === 'failure' && s4.failure.code).toBe('protocol-error');

    const c5 = newClient();
    const bad = challengeRequest();
    bad[3] = bad[3]! + 1; // EAP Length beyond the packet
    expect(c5.handle(bad).kind).toBe('failure');

    const c6 = newClient();
    const badMs = challengeRequest();
    badMs[8] = 0xff; // MS-Length mismatch
    expect(c6.handle(badMs).kind).toBe('failure');
  });

  it('Naks another method once, then gives up instead of falling back (e.g. to GTC)', () => {
    const c = newClient();
    const nak = respond(c.handle(eap(1, 3, 6, new TextEncoder().encode('Password:'))));
    expect(toHex(nak)).toBe('020300060' + '31a');
    const s = c.handle(eap(1, 4, 6, new TextEncoder().encode('Password:')));
    expect(s.kind === 'failure' && s.failure.code).toBe('unsupported-method');
  });

  it('acknowledges EAP Notifications without changing state', () => {
    const c = newClient();
    const ack = respond(c.handle(eap(1, 5, 2, new TextEncoder().encode('maintenance tonight'))));
    expect(toHex(ack)).toBe('0205000502');
    respond(c.handle(challengeRequest()));
    respond(c.handle(textRequest(3, AUTHENTICATOR_RESPONSE)));
    expect(c.handle(EAP_SUCCESS).kind).toBe('success');
  });

  it('bounds the number of rounds', () => {
    const c = new EapMschapv2Client({
      identity: USER,
      password: PASSWORD,
      random: fixedRandom(PEER_CHALLENGE),
      maxRounds: 1,
    });
    c.handle(challengeRequest());
    const s = c.handle(textRequest(3, AUTHENTICATOR_RESPONSE));
    expect(s.kind === 'failure' && s.failure.code).toBe('too-many-rounds');
  });

  it('accepts a stored NT hash instead of the password', () => {
    const c = new EapMschapv2Client({
      identity: USER,
      ntHash: hex(PASSWORD_HASH),
      random: fixedRandom(PEER_CHALLENGE),
    });
    const parsed = parseEapPacket(respond(c.handle(challengeRequest())));
    if (!parsed.ok) throw new Error('parse');
    expect(toHex(parsed.packet.typeData.subarray(29, 53))).toBe(NT_RESPONSE);
  });
});

describe('codec robustness (CVE-2025-62291 class)', () => {
  it('parses Failure messages field by field, bounded', () => {
    const f = parseFailureMessage(
      'E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=bad  password',
    );
    expect(f.error).toBe(691);
    expect(f.retriable).toBe(true);
    expect(toHex(f.challenge!)).toBe('00112233445566778899aabbccddeeff');
    expect(f.version).toBe(3);
    expect(f.message).toBe('bad  password');
    const hostile = parseFailureMessage(
      'E=' + '9'.repeat(50) + ' C=zz M=' + '\u0000\u00ff'.repeat(10000),
    );
    expect(hostile.error).toBeUndefined();
    expect(hostile.challenge).toBeUndefined();
    expect(hostile.message!.length).toBeLessThanOrEqual(201);
    expect(hostile.message).not.toMatch(/[^\x20-\x7e…]/);
    expect(parseFailureMessage('')).toEqual({
      error: undefined,
      retriable: false,
      challenge: undefined,
      version: undefined,
      message: undefined,
    });
  });

  it('parses Success messages', () => {
    expect(parseSuccessMessage(`${AUTHENTICATOR_RESPONSE} M=hello world`)).toEqual({
      authenticatorResponse: AUTHENTICATOR_RESPONSE,
      message: 'hello world',
    });
    expect(parseSuccessMessage('S=123').authenticatorResponse).toBeUndefined();
  });

  it('random EAP bodies never throw, in any client state', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 1, 2), (body, stage) => {
        const c = newClient();
        if (stage >= 1) c.handle(challengeRequest());
        if (stage >= 2) c.handle(textRequest(3, AUTHENTICATOR_RESPONSE));
        const step = c.handle(body);
        expect(['respond', 'success', 'failure']).toContain(step.kind);
        if (step.kind === 'success') expect(stage).toBe(2);
      }),
      { numRuns: 500 },
    );
  });

  it('random Failure/Success request texts never throw and stay bounded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom(3, 4), (text, op) => {
        const c = newClient();
        c.handle(challengeRequest());
        const step = c.handle(mschapRequest(op, 42, text));
        expect(step.kind).toBe('failure');
        if (step.kind === 'failure') expect(step.failure.message.length).toBeLessThan(400);
      }),
      { numRuns: 300 },
    );
  });

  it('random MS-CHAPv2 type data never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (td) => {
        const r = parseMschapv2Request(td);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('encodes the Response with a correct MS-Length and refuses oversized names', () => {
    const r = encodeMschapv2Response(1, 2, PEER_CHALLENGE, hex(NT_RESPONSE), new Uint8Array(5));
    expect(r.length).toBe(5 + 4 + 1 + 49 + 5);
    expect(() =>
      encodeMschapv2Response(1, 2, PEER_CHALLENGE, hex(NT_RESPONSE), new Uint8Array(300)),
    ).toThrow(RangeError);
  });
});
