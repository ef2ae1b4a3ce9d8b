import { describe, it, expect, beforeAll } from 'vitest';
import {
  constants,
  createHash,
  generateKeyPairSync,
  privateEncrypt,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import {
  AUTH_DIGITAL_SIGNATURE,
  AUTH_ECDSA_SHA256_P256,
  AUTH_ECDSA_SHA384_P384,
  AUTH_ECDSA_SHA512_P521,
  AUTH_RSA_DIGITAL_SIGNATURE,
  SIG_HASH_IDENTITY,
  SIG_HASH_SHA256,
  SIG_HASH_SHA384,
  SIG_HASH_SHA512,
  encodeAlgorithmIdentifier,
  encodeDigitalSignatureAuth,
  parseAlgorithmIdentifier,
  parseDigitalSignatureAuth,
  signAuth,
  verifyAuth,
} from '../../../../../native-helper/ike/crypto/signature.js';
import type { SignatureScheme } from '../../../../../native-helper/ike/crypto/signature-provider.js';
import { NodeCryptoProvider } from '../../../../../native-helper/platform/crypto/node-signature-provider.js';
import { hex, toHex } from '../../../../support/hex.js';

const provider = new NodeCryptoProvider();
const OCTETS = new TextEncoder().encode('RealMessage1 | NonceRData | prf(SK_pi, IDi)');
const ALL = [SIG_HASH_SHA256, SIG_HASH_SHA384, SIG_HASH_SHA512, SIG_HASH_IDENTITY];

interface Key {
  pem: string;
  spki: Uint8Array;
}
function key(type: 'rsa' | 'ec' | 'ed25519' | 'rsa-pss', opts: object): Key {
  const { publicKey, privateKey } = generateKeyPairSync(
    type as 'rsa',
    opts as { modulusLength: number },
  );
  return {
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  };
}

let rsa: Key, rsa1024: Key, rsaPss: Key, p256k: Key, p384k: Key, p521k: Key, ed: Key;
beforeAll(() => {
  rsa = key('rsa', { modulusLength: 2048 });
  rsa1024 = key('rsa', { modulusLength: 1024 });
  rsaPss = key('rsa-pss', { modulusLength: 2048 });
  p256k = key('ec', { namedCurve: 'P-256' });
  p384k = key('ec', { namedCurve: 'P-384' });
  p521k = key('ec', { namedCurve: 'P-521' });
  ed = key('ed25519', {});
});

describe('AlgorithmIdentifier (RFC 7427 Appendix A)', () => {
  it('encodes the published forms', () => {
    expect(toHex(encodeAlgorithmIdentifier({ kind: 'rsa-pkcs1', hash: 'sha256' }))).toBe(
      '300d06092a864886f70d01010b0500',
    );
    expect(toHex(encodeAlgorithmIdentifier({ kind: 'rsa-pkcs1', hash: 'sha384' }))).toBe(
      '300d06092a864886f70d01010c0500',
    );
    expect(toHex(encodeAlgorithmIdentifier({ kind: 'rsa-pkcs1', hash: 'sha512' }))).toBe(
      '300d06092a864886f70d01010d0500',
    );
    expect(
      toHex(encodeAlgorithmIdentifier({ kind: 'ecdsa', hash: 'sha256', encoding: 'der' })),
    ).toBe('300a06082a8648ce3d040302');
    expect(
      toHex(encodeAlgorithmIdentifier({ kind: 'ecdsa', hash: 'sha384', encoding: 'der' })),
    ).toBe('300a06082a8648ce3d040303');
    expect(
      toHex(encodeAlgorithmIdentifier({ kind: 'ecdsa', hash: 'sha512', encoding: 'der' })),
    ).toBe('300a06082a8648ce3d040304');
    expect(toHex(encodeAlgorithmIdentifier({ kind: 'ed25519' }))).toBe('300506032b6570');
    // RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32 (RFC 7427 A.4.3 form, with NULL hash parameters)
    expect(
      toHex(encodeAlgorithmIdentifier({ kind: 'rsa-pss', hash: 'sha256', saltLength: 32 })),
    ).toBe(
      '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
    );
  });

  it('round-trips every scheme', () => {
    const schemes: SignatureScheme[] = [
      { kind: 'rsa-pkcs1', hash: 'sha256' },
      { kind: 'rsa-pkcs1', hash: 'sha512' },
      { kind: 'rsa-pss', hash: 'sha384', saltLength: 48 },
      { kind: 'ecdsa', hash: 'sha384', encoding: 'der' },
      { kind: 'ed25519' },
    ];
    for (const s of schemes) {
      const r = parseAlgorithmIdentifier(encodeAlgorithmIdentifier(s));
      expect(r.ok && r.algorithm.scheme).toEqual(s);
      const auth = parseDigitalSignatureAuth(encodeDigitalSignatureAuth(s, hex('0102')));
      expect(auth.ok && toHex(auth.signature)).toBe('0102');
    }
  });

  it('accepts RSA parameters absent, and PSS without NULL hash parameters', () => {
    expect(parseAlgorithmIdentifier(hex('300b06092a864886f70d01010b')).ok).toBe(true);
    const pss = hex(
      '303d06092a864886f70d01010a3030a00d300b0609608648016503040201a11a301806092a864886f70d010108300b0609608648016503040201a203020120',
    );
    const r = parseAlgorithmIdentifier(pss);
    expect(r.ok && r.algorithm.scheme).toEqual({ kind: 'rsa-pss', hash: 'sha256', saltLength: 32 });
  });

  it('types garbled and unknown identifiers as errors', () => {
    const cases: [string, string][] = [
      ['300d06092a864886f70d0101050500', 'unsupported-algorithm'], // sha1WithRSAEncryption
      ['300906072a8648ce3d0401', 'unsupported-algorithm'], // ecdsa-with-SHA1
      ['300506032b6571', 'unsupported-algorithm'], // Ed448
      ['300d06092a864886f70d01017f0500', 'unsupported-algorithm'], // unknown OID
      ['300f06092a864886f70d01010b020101', 'malformed-auth-data'], // RSA with INTEGER params
      ['300c06082a8648ce3d0403020500', 'malformed-auth-data'], // ECDSA with NULL params
      ['300d06092a864886f70d01010b050000', 'malformed-auth-data'], // trailing byte inside? (bad length)
      ['300e06092a864886f70d01010b050000', 'malformed-auth-data'], // extra element
      ['3080', 'malformed-auth-data'],
      ['', 'malformed-auth-data'],
      ['300d06092a864886f70d01010a3000', 'unsupported-algorithm'], // PSS defaults = SHA-1
      ['300b06092a864886f70d01010a', 'malformed-auth-data'], // PSS without params
    ];
    for (const [h, code] of cases) {
      const r = parseAlgorithmIdentifier(hex(h));
      expect(r.ok, h).toBe(false);
      if (!r.ok) expect(r.error.code, h).toBe(code);
    }
  });

  it('bounds the RSASSA-PSS salt (CVE-2021-41990) and checks MGF1', () => {
    const withSalt = (saltDer: string): Uint8Array => {
      const params = hex(
        'a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500' +
          saltDer,
      );
      const inner = Uint8Array.of(0x30, params.length, ...params);
      const oid = hex('06092a864886f70d01010a');
      return Uint8Array.of(0x30, oid.length + inner.length, ...oid, ...inner);
    };
    expect(parseAlgorithmIdentifier(withSalt('a203020120')).ok).toBe(true);
    const huge = parseAlgorithmIdentifier(withSalt('a2060204' + '80000000'.replace('80', '7f')));
    expect(!huge.ok && huge.error.code).toBe('malformed-auth-data');
    const negative = parseAlgorithmIdentifier(withSalt('a203020180'));
    expect(!negative.ok && negative.error.code).toBe('malformed-auth-data');
    // MGF1 with SHA-512 under a SHA-256 signature
    const mismatch = hex(
      '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020120',
    );
    const m = parseAlgorithmIdentifier(mismatch);
    expect(!m.ok && m.error.code).toBe('unsupported-algorithm');
  });

  it('rejects AUTH data whose length byte does not fit', () => {
    for (const h of ['', '00', '0f300d06092a864886f70d01010b0500', 'ff00', '00aa']) {
      expect(parseDigitalSignatureAuth(hex(h)).ok, h).toBe(false);
    }
  });
});

describe('signAuth / verifyAuth', () => {
  const cases: [string, () => Key, number, string][] = [
    ['RSA 2048', () => rsa, AUTH_DIGITAL_SIGNATURE, 'sha256WithRSAEncryption'],
    ['RSA-PSS key', () => rsaPss, AUTH_DIGITAL_SIGNATURE, 'RSASSA-PSS-SHA256'],
    ['P-256', () => p256k, AUTH_DIGITAL_SIGNATURE, 'ecdsa-with-SHA256'],
    ['P-384', () => p384k, AUTH_DIGITAL_SIGNATURE, 'ecdsa-with-SHA384'],
    ['P-521', () => p521k, AUTH_DIGITAL_SIGNATURE, 'ecdsa-with-SHA512'],
    ['Ed25519', () => ed, AUTH_DIGITAL_SIGNATURE, 'Ed25519'],
  ];
  for (const [name, k, method, alg] of cases) {
    it(`${name}: method 14 round trip, tampering rejected`, () => {
      const s = signAuth(provider, k().pem, 'auto', OCTETS, ALL);
      expect(s.ok).toBe(true);
      if (!s.ok) return;
      expect(s.method).toBe(method);
      expect(s.algorithm).toBe(alg);
      expect(verifyAuth(provider, k().spki, s.method, s.authData, OCTETS)).toEqual({
        ok: true,
        algorithm: alg,
      });

      const badSig = s.authData.slice();
      badSig[badSig.length - 5] = badSig[badSig.length - 5]! ^ 0x01;
      const r1 = verifyAuth(provider, k().spki, s.method, badSig, OCTETS);
      expect(r1.ok).toBe(false);
      const badOctets = OCTETS.slice();
      badOctets[0] = badOctets[0]! ^ 0x80;
      const r2 = verifyAuth(provider, k().spki, s.method, s.authData, badOctets);
      expect(!r2.ok && r2.error.code).toBe('bad-signature');
    });
  }

  it('cross-checks method-14 signatures with node:crypto directly', () => {
    const s = signAuth(provider, rsa.pem, 'auto', OCTETS, [SIG_HASH_SHA384]);
    if (!s.ok) throw new Error(s.error.message);
    const p = parseDigitalSignatureAuth(s.authData);
    if (!p.ok) throw new Error('parse');
    expect(p.algorithm.name).toBe('sha384WithRSAEncryption');
    expect(
      nodeVerify(
        'sha384',
        OCTETS,
        { key: Buffer.from(rsa.spki), format: 'der', type: 'spki' },
        p.signature,
      ),
    ).toBe(true);

    const e = signAuth(provider, ed.pem, 'auto', OCTETS, [SIG_HASH_IDENTITY]);
    if (!e.ok) throw new Error(e.error.message);
    const pe = parseDigitalSignatureAuth(e.authData);
    if (!pe.ok) throw new Error('parse');
    expect(
      nodeVerify(
        null,
        OCTETS,
        { key: Buffer.from(ed.spki), format: 'der', type: 'spki' },
        pe.signature,
      ),
    ).toBe(true);
  });

  it('RSASSA-PSS for plain RSA keys on request', () => {
    const s = signAuth(provider, rsa.pem, 'auto', OCTETS, [SIG_HASH_SHA512], { rsaPss: true });
    if (!s.ok) throw new Error(s.error.message);
    expect(s.algorithm).toBe('RSASSA-PSS-SHA512');
    expect(verifyAuth(provider, rsa.spki, 14, s.authData, OCTETS).ok).toBe(true);
    const p = parseDigitalSignatureAuth(s.authData);
    if (!p.ok) throw new Error('parse');
    expect(
      nodeVerify(
        'sha512',
        OCTETS,
        {
          key: Buffer.from(rsa.spki),
          format: 'der',
          type: 'spki',
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 64,
        },
        p.signature,
      ),
    ).toBe(true);
  });

  it('ECDSA methods 9/10/11: r‖s at fixed width, hash bound to the curve, checked with noble too', () => {
    for (const [k, method, width] of [
      [() => p256k, AUTH_ECDSA_SHA256_P256, 32],
      [() => p384k, AUTH_ECDSA_SHA384_P384, 48],
      [() => p521k, AUTH_ECDSA_SHA512_P521, 66],
    ] as const) {
      const s = signAuth(provider, k().pem, 'auto', OCTETS, []);
      if (!s.ok) throw new Error(s.error.message);
      expect(s.method).toBe(method);
      expect(s.authData.length).toBe(2 * width);
      expect(verifyAuth(provider, k().spki, method, s.authData, OCTETS).ok).toBe(true);
      // a P-256 key's signature under method 10 is refused before any maths
      const wrong = verifyAuth(provider, k().spki, method === 9 ? 10 : 9, s.authData, OCTETS);
      expect(!wrong.ok && wrong.error.code).toBe('key-mismatch');
    }
    const s = signAuth(provider, p256k.pem, AUTH_ECDSA_SHA256_P256, OCTETS, []);
    if (!s.ok) throw new Error('sign');
    const rawPub = p256k.spki.subarray(p256k.spki.length - 65);
    const digest = createHash('sha256').update(OCTETS).digest();
    expect(
      p256.verify(s.authData, digest, rawPub, { prehash: false, format: 'compact', lowS: false }),
    ).toBe(true);
  });

  it('refuses a signature that does not fit the key', () => {
    const ec = signAuth(provider, p256k.pem, 'auto', OCTETS, ALL);
    if (!ec.ok) throw new Error('sign');
    const r = verifyAuth(provider, rsa.spki, 14, ec.authData, OCTETS);
    expect(!r.ok && r.error.code).toBe('key-mismatch');
    const rs = signAuth(provider, rsa.pem, 'auto', OCTETS, ALL);
    if (!rs.ok) throw new Error('sign');
    const r2 = verifyAuth(provider, ed.spki, 14, rs.authData, OCTETS);
    expect(!r2.ok && r2.error.code).toBe('key-mismatch');
    // An RSA PKCS#1 identifier on an RSA-PSS-only key
    const r3 = verifyAuth(provider, rsaPss.spki, 14, rs.authData, OCTETS);
    expect(!r3.ok && r3.error.code).toBe('key-mismatch');
  });

  it('refuses RSA keys under 2048 bits, to sign and to verify', () => {
    const s = signAuth(provider, rsa1024.pem, 'auto', OCTETS, ALL);
    expect(!s.ok && s.error.code).toBe('weak-key');
    const sig = nodeSign('sha256', OCTETS, rsa1024.pem);
    const auth = encodeDigitalSignatureAuth({ kind: 'rsa-pkcs1', hash: 'sha256' }, sig);
    const v = verifyAuth(provider, rsa1024.spki, 14, auth, OCTETS);
    expect(!v.ok && v.error.code).toBe('weak-key');
  });

  it('method 1 (RSA SHA-1) is verified but never produced', () => {
    const sig = nodeSign('sha1', OCTETS, rsa.pem);
    expect(verifyAuth(provider, rsa.spki, AUTH_RSA_DIGITAL_SIGNATURE, sig, OCTETS)).toEqual({
      ok: true,
      algorithm: 'RSA-PKCS1-SHA1 (AUTH method 1)',
    });
    const r = signAuth(provider, rsa.pem, AUTH_RSA_DIGITAL_SIGNATURE, OCTETS, []);
    expect(!r.ok && r.error.code).toBe('unsupported-method');
  });

  it('rejects PKCS#1 v1.5 blocks with garbage (CVE-2018-16151 class): padding is verified strictly', () => {
    // EM = 00 01 FF… 00 DigestInfo(SHA-256) with junk appended after the digest, shortening the padding.
    const digestInfo = Buffer.concat([
      hex('3031300d060960864801650304020105000420'),
      createHash('sha256').update(OCTETS).digest(),
    ]);
    const junk = Buffer.alloc(16, 0x41);
    const ps = Buffer.alloc(256 - 3 - digestInfo.length - junk.length, 0xff);
    const em = Buffer.concat([hex('0001'), ps, hex('00'), digestInfo, junk]);
    const forged = privateEncrypt({ key: rsa.pem, padding: constants.RSA_NO_PADDING }, em);
    const auth = encodeDigitalSignatureAuth({ kind: 'rsa-pkcs1', hash: 'sha256' }, forged);
    const r = verifyAuth(provider, rsa.spki, 14, auth, OCTETS);
    expect(!r.ok && r.error.code).toBe('bad-signature');
    // The honest block, through the same path, verifies (so the test above can fail).
    const honest = privateEncrypt(
      { key: rsa.pem, padding: constants.RSA_NO_PADDING },
      Buffer.concat([
        hex('0001'),
        Buffer.alloc(256 - 3 - digestInfo.length, 0xff),
        hex('00'),
        digestInfo,
      ]),
    );
    expect(
      verifyAuth(
        provider,
        rsa.spki,
        14,
        encodeDigitalSignatureAuth({ kind: 'rsa-pkcs1', hash: 'sha256' }, honest),
        OCTETS,
      ).ok,
    ).toBe(true);
  });

  it('rejects malformed ECDSA DER and wrong-length r‖s', () => {
    const auth = encodeDigitalSignatureAuth(
      { kind: 'ecdsa', hash: 'sha256', encoding: 'der' },
      hex('3006020100020100'),
    );
    const r = verifyAuth(provider, p256k.spki, 14, auth, OCTETS);
    expect(!r.ok && r.error.code).toBe('malformed-auth-data');
    const s = signAuth(provider, p256k.pem, 'auto', OCTETS, ALL);
    if (!s.ok) throw new Error('sign');
    const withTrailer = Uint8Array.of(...s.authData, 0);
    expect(verifyAuth(provider, p256k.spki, 14, withTrailer, OCTETS).ok).toBe(false);
    const short = verifyAuth(provider, p256k.spki, 9, new Uint8Array(63), OCTETS);
    expect(!short.ok && short.error.code).toBe('malformed-auth-data');
  });

  it('picks an announced hash, and fails clearly when there is none', () => {
    const s = signAuth(provider, p384k.pem, 'auto', OCTETS, [SIG_HASH_SHA256]);
    expect(s.ok && s.algorithm).toBe('ecdsa-with-SHA256');
    const e = signAuth(provider, ed.pem, 'auto', OCTETS, [SIG_HASH_SHA256]);
    expect(!e.ok && e.error.code).toBe('no-common-algorithm');
    const r = signAuth(provider, rsa.pem, 'auto', OCTETS, []);
    expect(!r.ok && r.error.code).toBe('no-common-algorithm');
    const bad = signAuth(
      provider,
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      'auto',
      OCTETS,
      ALL,
    );
    expect(!bad.ok && bad.error.code).toBe('bad-private-key');
    expect(verifyAuth(provider, rsa.spki, 2, new Uint8Array(32), OCTETS).ok).toBe(false);
  });
});
