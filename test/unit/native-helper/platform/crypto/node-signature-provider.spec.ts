import { describe, it, expect } from 'vitest';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { NodeCryptoProvider } from '../../../../../native-helper/platform/crypto/node-signature-provider.js';

const provider = new NodeCryptoProvider();
const DATA = new TextEncoder().encode('signed octets');

function spkiOf(k: ReturnType<typeof generateKeyPairSync>['publicKey']): Uint8Array {
  return new Uint8Array(k.export({ format: 'der', type: 'spki' }));
}

describe('NodeCryptoProvider', () => {
  it('describes keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(provider.describePublicKey(spkiOf(rsa.publicKey))).toEqual({ kind: 'rsa', bits: 2048 });
    for (const [curve, name, bits] of [
      ['P-256', 'P-256', 256],
      ['P-384', 'P-384', 384],
      ['P-521', 'P-521', 521],
    ] as const) {
      const ec = generateKeyPairSync('ec', { namedCurve: curve });
      expect(provider.describePublicKey(spkiOf(ec.publicKey))).toEqual({
        kind: 'ec',
        curve: name,
        bits,
      });
    }
    const ed = generateKeyPairSync('ed25519');
    expect(provider.describePublicKey(spkiOf(ed.publicKey))).toEqual({
      kind: 'ed25519',
      bits: 256,
    });
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(provider.describePublicKey(spkiOf(k1.publicKey)).kind).toBe('unsupported');
    const x = generateKeyPairSync('x25519');
    expect(provider.describePublicKey(spkiOf(x.publicKey)).kind).toBe('unsupported');
    expect(provider.describePublicKey(new Uint8Array([0x30, 0x00])).kind).toBe('unsupported');

    const pem = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const d = provider.describePrivateKey(pem);
    expect(d?.key.kind).toBe('ed25519');
    expect(Buffer.from(d!.spki).equals(Buffer.from(spkiOf(ed.publicKey)))).toBe(true);
    const trad = rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(provider.describePrivateKey(trad)?.key).toEqual({ kind: 'rsa', bits: 2048 });
    expect(provider.describePrivateKey('not a key')).toBeUndefined();
  });

  it('signs and verifies, and never throws on garbage', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const sig = provider.sign(pem, { kind: 'ecdsa', hash: 'sha256', encoding: 'ieee-p1363' }, DATA);
    expect(sig.length).toBe(64);
    expect(
      provider.verify(
        spkiOf(ec.publicKey),
        { kind: 'ecdsa', hash: 'sha256', encoding: 'ieee-p1363' },
        DATA,
        sig,
      ),
    ).toBe(true);
    expect(
      provider.verify(
        spkiOf(ec.publicKey),
        { kind: 'ecdsa', hash: 'sha256', encoding: 'der' },
        DATA,
        sig,
      ),
    ).toBe(false);
    expect(provider.verify(new Uint8Array(3), { kind: 'ed25519' }, DATA, sig)).toBe(false);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaSig = nodeSign('sha256', DATA, rsa.privateKey);
    expect(
      provider.verify(spkiOf(rsa.publicKey), { kind: 'rsa-pkcs1', hash: 'sha256' }, DATA, rsaSig),
    ).toBe(true);
    expect(
      provider.verify(spkiOf(rsa.publicKey), { kind: 'rsa-pkcs1', hash: 'sha384' }, DATA, rsaSig),
    ).toBe(false);
    expect(
      provider.verify(
        spkiOf(rsa.publicKey),
        { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 },
        DATA,
        rsaSig,
      ),
    ).toBe(false);
  });

  it('refuses certificate bytes it cannot parse', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(
      provider.verifyCertificateSignature(
        new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
        spkiOf(ec.publicKey),
      ),
    ).toBe(false);
  });
});
