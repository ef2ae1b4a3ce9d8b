/**
 * A small PKI for the exchange tests, issued once per test file with the openssl CLI in a
 * temporary directory (removed right after): a trusted root, the gateway's certificate for
 * vpn.example.com, one for another name, one from an untrusted root, and a client certificate.
 * All ECDSA P-256, valid from now for a year (tests move the session clock for expiry).
 * keyTypePki() adds client and gateway certificates of every key type we sign and verify with
 * (RSA, RSA-PSS, ECDSA P-256/384/521, Ed25519), under the same root, only for the files using it.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  der: Uint8Array;
  pem: string;
  keyPem: string;
  notAfter: number;
}

export interface TestPki {
  root: TestCert;
  /** SAN DNS:vpn.example.com, issued by root. */
  gateway: TestCert;
  /** SAN DNS:vpn.other.net, issued by root. */
  otherName: TestCert;
  /** SAN DNS:vpn.example.com, issued by a root we do not trust. */
  untrusted: TestCert;
  /** SAN email:alice@example.com, issued by root (our certificate authentication). */
  client: TestCert;
}

let cached: TestPki | undefined;

export function testPki(): TestPki {
  cached ??= issueAll();
  return cached;
}

/** Key types a certificate can carry (what our AUTH and the gateway's may be signed with). */
export type TestKeyType = 'rsa' | 'rsa-pss' | 'p256' | 'p384' | 'p521' | 'ed25519';
export const TEST_KEY_TYPES: readonly TestKeyType[] = [
  'rsa',
  'rsa-pss',
  'p256',
  'p384',
  'p521',
  'ed25519',
];

const GENPKEY: Record<TestKeyType, string[]> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-pss': ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  ed25519: ['-algorithm', 'ED25519'],
};

export interface KeyTypePki {
  /** SAN email:alice@example.com, issued by testPki().root, one per key type. */
  clients: Record<TestKeyType, TestCert>;
  /** SAN DNS:vpn.example.com, issued by testPki().root, one per key type. */
  gateways: Record<TestKeyType, TestCert>;
}

let keyTypes: KeyTypePki | undefined;

/** Client and gateway certificates of every key type, under the same root as testPki(). */
export function keyTypePki(): KeyTypePki {
  keyTypes ??= withDir((issue) => {
    const root = testPki().root;
    const clients = {} as Record<TestKeyType, TestCert>;
    const gateways = {} as Record<TestKeyType, TestCert>;
    for (const t of TEST_KEY_TYPES) {
      clients[t] = issue(
        `client-${t}`,
        `/O=Tsunagi Test/CN=alice ${t}`,
        root,
        leaf('email:alice@example.com'),
        t,
      );
      gateways[t] = issue(
        `gateway-${t}`,
        '/O=Tsunagi Test/CN=vpn.example.com',
        root,
        leaf('DNS:vpn.example.com'),
        t,
      );
    }
    return { clients, gateways };
  });
  return keyTypes;
}

type Issue = (
  name: string,
  subject: string,
  issuer: TestCert | undefined,
  ext: string[],
  keyType?: TestKeyType,
) => TestCert;

let serial = 4000;

/** Runs `f` with an issuing function working in a temporary directory (removed after). */
function withDir<T>(f: (issue: Issue) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagi-exchange-pki-'));
  try {
    const run = (args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    };
    const issue: Issue = (name, subject, issuer, ext, keyType = 'p256') => {
      run(['genpkey', ...GENPKEY[keyType], '-out', `${name}.key`]);
      writeFileSync(
        join(dir, `${name}.cnf`),
        ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...ext, ''].join('\n'),
      );
      if (!issuer)
        run([
          'req',
          '-x509',
          '-new',
          '-key',
          `${name}.key`,
          '-subj',
          subject,
          '-days',
          '365',
          '-config',
          `${name}.cnf`,
          '-extensions',
          'ext',
          '-set_serial',
          String(serial++),
          '-out',
          `${name}.pem`,
        ]);
      else {
        writeFileSync(join(dir, 'issuer.pem'), issuer.pem);
        writeFileSync(join(dir, 'issuer.key'), issuer.keyPem);
        run([
          'req',
          '-new',
          '-key',
          `${name}.key`,
          '-subj',
          subject,
          '-config',
          `${name}.cnf`,
          '-out',
          `${name}.csr`,
        ]);
        run([
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'issuer.pem',
          '-CAkey',
          'issuer.key',
          '-set_serial',
          String(serial++),
          '-days',
          '365',
          '-sha256',
          '-extfile',
          `${name}.cnf`,
          '-extensions',
          'ext',
          '-out',
          `${name}.pem`,
        ]);
      }
      const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
      const x = new X509Certificate(pem);
      return {
        der: new Uint8Array(x.raw),
        pem,
        keyPem: readFileSync(join(dir, `${name}.key`), 'utf8'),
        notAfter: Date.parse(x.validTo),
      };
    };
    return f(issue);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CA_EXT = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
];

function leaf(san: string): string[] {
  return [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    `subjectAltName = ${san}`,
  ];
}

function issueAll(): TestPki {
  return withDir((issue) => {
    const root = issue('root', '/O=Tsunagi Test/CN=Exchange Root CA', undefined, CA_EXT);
    const gateway = issue(
      'gateway',
      '/O=Tsunagi Test/CN=vpn.example.com',
      root,
      leaf('DNS:vpn.example.com'),
    );
    const otherName = issue(
      'other',
      '/O=Tsunagi Test/CN=vpn.other.net',
      root,
      leaf('DNS:vpn.other.net'),
    );
    const client = issue(
      'client',
      '/O=Tsunagi Test/CN=alice',
      root,
      leaf('email:alice@example.com'),
    );
    const root2 = issue('root2', '/O=Elsewhere/CN=Other Root CA', undefined, CA_EXT);
    const untrusted = issue(
      'untrusted',
      '/O=Elsewhere/CN=vpn.example.com',
      root2,
      leaf('DNS:vpn.example.com'),
    );
    return { root, gateway, otherName, untrusted, client };
  });
}
