/**
 * Test PKI made with strongSwan's own `pki` tool, in a temp dir:
 *
 *   Lab Root CA (ECDSA P-384)
 *   ├── gateway vpn.lab.test, ECDSA P-256   (SAN dNSName vpn.lab.test, EKU serverAuth + ikeIntermediate)
 *   ├── gateway vpn.lab.test, RSA-2048      (same)
 *   ├── client carol@cert.lab.test, ECDSA P-256 (SAN rfc822Name, EKU clientAuth)
 *   ├── client carol@cert.lab.test, RSA-2048
 *   └── (optional) Lab RSA Intermediate CA, RSA-4096
 *       └── gateway vpn.lab.test, RSA-4096  (a big chain, for IKE fragmentation tests)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './netns.js';

export const GATEWAY_ID = 'vpn.lab.test';
export const CERT_CLIENT_ID = 'carol@cert.lab.test';
export const CA_DN = 'C=XX, O=strongSwan Lab, CN=Lab Root CA';

export type KeyKind = 'ecdsa' | 'rsa';

export interface Credential {
  /** PEM certificate path. */
  cert: string;
  /** PEM private key path (PKCS#1 for RSA, SEC1 for ECDSA: what `pki --gen` writes). */
  key: string;
  /** PKCS#8 PEM of the same key. */
  keyPkcs8: string;
  certDer: Uint8Array;
  keyKind: KeyKind;
  keyBits: number;
  dn: string;
}

export interface LabPki {
  dir: string;
  ca: Credential;
  gatewayEcdsa: Credential;
  gatewayRsa: Credential;
  clientEcdsa: Credential;
  clientRsa: Credential;
  /** Only with `rsa4096Chain`: intermediate CA and its RSA-4096 gateway end entity. */
  intermediate: Credential | undefined;
  gatewayRsa4096: Credential | undefined;
}

export interface PkiOptions {
  rsa4096Chain?: boolean;
}

export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!m?.[1]) throw new Error('no PEM block');
  return new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

async function pki(args: readonly string[]): Promise<string> {
  return (await run(['pki', ...args], { timeoutMs: 120_000 })).stdout;
}

async function genKey(
  dir: string,
  name: string,
  kind: KeyKind,
  bits: number,
): Promise<{ key: string; keyPkcs8: string }> {
  const key = join(dir, `${name}.key.pem`);
  const pem = await pki(['--gen', '--type', kind, '--size', String(bits), '--outform', 'pem']);
  writeFileSync(key, pem, { mode: 0o600 });
  const keyPkcs8 = join(dir, `${name}.key.p8.pem`);
  const p8 = await run(['openssl', 'pkcs8', '-topk8', '-nocrypt', '-in', key]);
  writeFileSync(keyPkcs8, p8.stdout, { mode: 0o600 });
  return { key, keyPkcs8 };
}

function credential(
  cert: string,
  key: { key: string; keyPkcs8: string },
  kind: KeyKind,
  bits: number,
  dn: string,
): Credential {
  return {
    cert,
    ...key,
    certDer: pemToDer(readFileSync(cert, 'utf8')),
    keyKind: kind,
    keyBits: bits,
    dn,
  };
}

async function issue(
  dir: string,
  name: string,
  issuer: Credential,
  kind: KeyKind,
  bits: number,
  dn: string,
  extra: readonly string[],
): Promise<Credential> {
  const key = await genKey(dir, name, kind, bits);
  const cert = join(dir, `${name}.cert.pem`);
  const pem = await pki([
    '--issue',
    '--cacert',
    issuer.cert,
    '--cakey',
    issuer.key,
    '--type',
    'priv',
    '--in',
    key.key,
    '--dn',
    dn,
    '--lifetime',
    '730',
    '--digest',
    'sha256',
    '--outform',
    'pem',
    ...extra,
  ]);
  writeFileSync(cert, pem);
  return credential(cert, key, kind, bits, dn);
}

/** Generates the lab PKI into `dir` (RSA-4096 makes it take a few seconds more). */
export async function createPki(dir: string, opts: PkiOptions = {}): Promise<LabPki> {
  const caKey = await genKey(dir, 'ca', 'ecdsa', 384);
  const caCert = join(dir, 'ca.cert.pem');
  writeFileSync(
    caCert,
    await pki([
      '--self',
      '--ca',
      '--lifetime',
      '3650',
      '--type',
      'priv',
      '--in',
      caKey.key,
      '--dn',
      CA_DN,
      '--digest',
      'sha384',
      '--outform',
      'pem',
    ]),
  );
  const ca = credential(caCert, caKey, 'ecdsa', 384, CA_DN);

  const gwDn = (k: string) => `C=XX, O=strongSwan Lab, OU=${k}, CN=${GATEWAY_ID}`;
  const clDn = (k: string) => `C=XX, O=strongSwan Lab, OU=${k}, CN=${CERT_CLIENT_ID}`;
  const gwExt = ['--san', GATEWAY_ID, '--flag', 'serverAuth', '--flag', 'ikeIntermediate'];
  const clExt = ['--san', CERT_CLIENT_ID, '--flag', 'clientAuth'];

  const [gatewayEcdsa, gatewayRsa, clientEcdsa, clientRsa] = await Promise.all([
    issue(dir, 'gw-ecdsa', ca, 'ecdsa', 256, gwDn('ECDSA'), gwExt),
    issue(dir, 'gw-rsa', ca, 'rsa', 2048, gwDn('RSA'), gwExt),
    issue(dir, 'carol-ecdsa', ca, 'ecdsa', 256, clDn('ECDSA'), clExt),
    issue(dir, 'carol-rsa', ca, 'rsa', 2048, clDn('RSA'), clExt),
  ]);

  let intermediate: Credential | undefined;
  let gatewayRsa4096: Credential | undefined;
  if (opts.rsa4096Chain) {
    intermediate = await issue(
      dir,
      'intermediate',
      ca,
      'rsa',
      4096,
      'C=XX, O=strongSwan Lab, CN=Lab RSA Intermediate CA',
      ['--ca'],
    );
    gatewayRsa4096 = await issue(
      dir,
      'gw-rsa4096',
      intermediate,
      'rsa',
      4096,
      gwDn('RSA-4096'),
      gwExt,
    );
  }
  return {
    dir,
    ca,
    gatewayEcdsa,
    gatewayRsa,
    clientEcdsa,
    clientRsa,
    intermediate,
    gatewayRsa4096,
  };
}
