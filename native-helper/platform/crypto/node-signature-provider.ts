/**
 * node:crypto (OpenSSL) implementation of the core's SignatureProvider and CertificateProvider.
 * OpenSSL does the RSA/ECDSA/EdDSA mathematics and the PKCS#1 v1.5 / PSS padding checks; nothing
 * here parses padding by hand.
 */
import {
  X509Certificate,
  constants,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CertificateProvider } from '../../ike/crypto/certificate-provider.js';
import type {
  EcCurve,
  PublicKeyDescription,
  SignatureProvider,
  SignatureScheme,
} from '../../ike/crypto/signature-provider.js';

const CURVES: Record<string, EcCurve> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};
const CURVE_BITS: Record<EcCurve, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

function describe(key: KeyObject): PublicKeyDescription {
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { kind: 'rsa', bits: details.modulusLength ?? 0 };
  if (type === 'rsa-pss') return { kind: 'rsa-pss', bits: details.modulusLength ?? 0 };
  if (type === 'ed25519') return { kind: 'ed25519', bits: 256 };
  if (type === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    return curve
      ? { kind: 'ec', curve, bits: CURVE_BITS[curve] }
      : { kind: 'unsupported', description: `EC curve ${details.namedCurve ?? 'unknown'}` };
  }
  return { kind: 'unsupported', description: `${type ?? 'unknown'} key` };
}

function signOptions(scheme: SignatureScheme): {
  algorithm: string | null;
  options: { padding?: number; saltLength?: number; dsaEncoding?: 'der' | 'ieee-p1363' };
} {
  switch (scheme.kind) {
    case 'rsa-pkcs1':
      return { algorithm: scheme.hash, options: { padding: constants.RSA_PKCS1_PADDING } };
    case 'rsa-pss':
      // OpenSSL uses the signature hash for MGF1 too; the core only allows mgf1Hash = hash.
      return {
        algorithm: scheme.hash,
        options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
      };
    case 'ecdsa':
      return { algorithm: scheme.hash, options: { dsaEncoding: scheme.encoding } };
    case 'ed25519':
      return { algorithm: null, options: {} };
  }
}

export class NodeCryptoProvider implements SignatureProvider, CertificateProvider {
  describePublicKey(spki: Uint8Array): PublicKeyDescription {
    try {
      return describe(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
    } catch (e) {
      return {
        kind: 'unsupported',
        description: `unreadable public key (${(e as Error).message})`,
      };
    }
  }

  describePrivateKey(
    privateKeyPem: string,
  ): { key: PublicKeyDescription; spki: Uint8Array } | undefined {
    try {
      const pub = createPublicKey(createPrivateKey(privateKeyPem));
      return {
        key: describe(pub),
        spki: new Uint8Array(pub.export({ format: 'der', type: 'spki' })),
      };
    } catch {
      return undefined;
    }
  }

  sign(privateKeyPem: string, scheme: SignatureScheme, data: Uint8Array): Uint8Array {
    const { algorithm, options } = signOptions(scheme);
    return new Uint8Array(
      sign(algorithm, data, { key: createPrivateKey(privateKeyPem), ...options }),
    );
  }

  verify(
    spki: Uint8Array,
    scheme: SignatureScheme,
    data: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    try {
      const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      const { algorithm, options } = signOptions(scheme);
      return verify(algorithm, data, { key, ...options }, signature);
    } catch {
      return false;
    }
  }

  verifyCertificateSignature(certDer: Uint8Array, issuerSpki: Uint8Array): boolean {
    try {
      const cert = new X509Certificate(Buffer.from(certDer));
      const key = createPublicKey({ key: Buffer.from(issuerSpki), format: 'der', type: 'spki' });
      return cert.verify(key);
    } catch {
      return false;
    }
  }
}
