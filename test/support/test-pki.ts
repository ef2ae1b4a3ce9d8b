/**
 * A small PKI for the exchange tests, issued once per test file with the openssl CLI in a
 * temporary directory (removed right after): a trusted root, the gateway's certificate for
 * vpn.example.com, one for another name, one from an untrusted root, and a client certificate.
 * All ECDSA P-256, valid from now for a year (tests move the session clock for expiry).
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

function issueAll(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagi-exchange-pki-'));
  try {
    let serial = 4000;
    const run = (args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    };
    const issue = (name: string, subject: string, issuer: string | undefined, ext: string[]) => {
      run([
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        `${name}.key`,
      ]);
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
          `${issuer}.pem`,
          '-CAkey',
          `${issuer}.key`,
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
    const ca = [
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
    ];
    const leaf = (san: string) => [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      `subjectAltName = ${san}`,
    ];
    const root = issue('root', '/O=Tsunagi Test/CN=Exchange Root CA', undefined, ca);
    const gateway = issue(
      'gateway',
      '/O=Tsunagi Test/CN=vpn.example.com',
      'root',
      leaf('DNS:vpn.example.com'),
    );
    const otherName = issue(
      'other',
      '/O=Tsunagi Test/CN=vpn.other.net',
      'root',
      leaf('DNS:vpn.other.net'),
    );
    const client = issue(
      'client',
      '/O=Tsunagi Test/CN=alice',
      'root',
      leaf('email:alice@example.com'),
    );
    issue('root2', '/O=Elsewhere/CN=Other Root CA', undefined, ca);
    const untrusted = issue(
      'untrusted',
      '/O=Elsewhere/CN=vpn.example.com',
      'root2',
      leaf('DNS:vpn.example.com'),
    );
    return { root, gateway, otherName, untrusted, client };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
