import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  MAX_CHAIN_LENGTH,
  certificateRequestData,
  certificatesFromPemOrDer,
  parseCertificate,
  validateServerCertificate,
  type CertificateValidationResult,
} from '../../../../../native-helper/ike/crypto/certificate.js';
import { parseIdentity, type Identity } from '../../../../../native-helper/ike/crypto/identity.js';
import { verifyAuth, signAuth } from '../../../../../native-helper/ike/crypto/signature.js';
import { NodeCryptoProvider } from '../../../../../native-helper/platform/crypto/node-signature-provider.js';

const provider = new NodeCryptoProvider();
let dir: string;

interface Issued {
  pem: string;
  der: Uint8Array;
  keyFile: string;
  certFile: string;
  keyPem: string;
}
const certs: Record<string, Issued> = {};

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

let serial = 1000;
/** Issues `name` (self-signed when `issuer` is undefined) with the extensions given as openssl config lines. */
function issue(
  name: string,
  subject: string,
  issuer: string | undefined,
  ext: string[],
  key = 'ec:P-256',
  digest = 'sha256',
): Issued {
  const keyFile = `${name}.key`;
  if (key.startsWith('rsa:')) {
    openssl([
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      `rsa_keygen_bits:${key.slice(4)}`,
      '-out',
      keyFile,
    ]);
  } else if (key === 'ed25519') {
    openssl(['genpkey', '-algorithm', 'ED25519', '-out', keyFile]);
  } else {
    openssl([
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      `ec_paramgen_curve:${key.slice(3)}`,
      '-out',
      keyFile,
    ]);
  }
  const cnf = `${name}.cnf`;
  writeFileSync(
    join(dir, cnf),
    ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...ext, ''].join('\n'),
  );
  const certFile = `${name}.pem`;
  if (!issuer) {
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-subj',
      subject,
      '-days',
      '3650',
      '-config',
      cnf,
      '-extensions',
      'ext',
      '-set_serial',
      String(serial++),
      '-out',
      certFile,
    ]);
  } else {
    openssl([
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      subject,
      '-config',
      cnf,
      '-out',
      `${name}.csr`,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      certs[issuer]!.certFile,
      '-CAkey',
      certs[issuer]!.keyFile,
      '-set_serial',
      String(serial++),
      '-days',
      '365',
      `-${digest}`,
      '-extfile',
      cnf,
      '-extensions',
      'ext',
      '-out',
      certFile,
    ]);
  }
  const pem = readFileSync(join(dir, certFile), 'utf8');
  const issued: Issued = {
    pem,
    der: new Uint8Array(new X509Certificate(pem).raw),
    keyFile,
    certFile,
    keyPem: readFileSync(join(dir, keyFile), 'utf8'),
  };
  certs[name] = issued;
  return issued;
}

const CA_EXT = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
];
const SERVER_EXT = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = serverAuth, 1.3.6.1.5.5.8.2.2',
  'subjectAltName = DNS:vpn.example.com, IP:198.51.100.10, IP:2001:db8::10, email:vpn@example.com',
  'authorityKeyIdentifier = keyid',
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-cert-'));
  issue('root', '/C=XX/O=Test/CN=Test Root CA', undefined, CA_EXT, 'rsa:2048');
  issue('inter', '/C=XX/O=Test/CN=Test Intermediate CA', 'root', CA_EXT);
  issue('server', '/C=XX/O=Org/CN=vpn.example.com', 'inter', SERVER_EXT);
  issue('direct', '/C=XX/O=Org/CN=vpn.example.com', 'root', [
    'basicConstraints = CA:FALSE',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = DNS:vpn.other.net, IP:198.51.100.10',
  ]);
  issue('cnonly', '/C=XX/O=Org/CN=vpn.example.com', 'root', ['basicConstraints = CA:FALSE']);
  issue('clientonly', '/CN=vpn.example.com', 'root', [
    'extendedKeyUsage = clientAuth',
    'subjectAltName = DNS:vpn.example.com',
  ]);
  issue('other-root', '/C=XX/O=Other/CN=Other Root CA', undefined, CA_EXT);
  issue('foreign', '/CN=vpn.example.com', 'other-root', ['subjectAltName = DNS:vpn.example.com']);
  issue('fake-root', '/C=XX/O=Test/CN=Test Root CA', undefined, CA_EXT); // same name as root, other key
  issue('forged', '/CN=vpn.example.com', 'fake-root', ['subjectAltName = DNS:vpn.example.com']);
  issue('notca', '/CN=Not A CA', 'root', ['basicConstraints = critical, CA:FALSE']);
  issue('under-notca', '/CN=vpn.example.com', 'notca', ['subjectAltName = DNS:vpn.example.com']);
  issue(
    'weak',
    '/CN=vpn.example.com',
    'root',
    ['subjectAltName = DNS:vpn.example.com'],
    'rsa:1024',
  );
  issue(
    'rsa-server',
    '/CN=vpn.example.com',
    'root',
    ['subjectAltName = DNS:vpn.example.com'],
    'rsa:2048',
  );
  issue(
    'ed-server',
    '/CN=vpn.example.com',
    'root',
    ['subjectAltName = DNS:vpn.example.com'],
    'ed25519',
  );
  issue('critical-unknown', '/CN=vpn.example.com', 'root', [
    'subjectAltName = DNS:vpn.example.com',
    '1.2.3.4 = critical, ASN1:NULL',
  ]);
  issue('nc-inter', '/CN=Constrained CA', 'root', [
    ...CA_EXT,
    'nameConstraints = critical, permitted;DNS:example.com',
  ]);
  issue('under-nc', '/CN=vpn.example.com', 'nc-inter', ['subjectAltName = DNS:vpn.example.com']);
  issue('pl0-root', '/CN=Pathlen0 Root', undefined, [
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = keyCertSign',
  ]);
  issue('pl0-inter', '/CN=Pathlen0 Inter', 'pl0-root', CA_EXT);
  issue('under-pl0', '/CN=vpn.example.com', 'pl0-inter', ['subjectAltName = DNS:vpn.example.com']);
  issue('ca-no-certsign', '/CN=No CertSign CA', 'root', [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, digitalSignature',
  ]);
  issue('under-no-certsign', '/CN=vpn.example.com', 'ca-no-certsign', [
    'subjectAltName = DNS:vpn.example.com',
  ]);
  issue(
    'sha1-server',
    '/CN=vpn.example.com',
    'root',
    ['subjectAltName = DNS:vpn.example.com'],
    'ec:P-256',
    'sha1',
  );
  issue('ku-encipher', '/CN=vpn.example.com', 'root', [
    'keyUsage = critical, keyEncipherment',
    'subjectAltName = DNS:vpn.example.com',
  ]);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function id(text: string): Identity {
  const r = parseIdentity(text);
  if (!r.ok) throw new Error(r.reason);
  return r.identity;
}

const DAY = 86_400_000;
const validFrom = (n: string): number => Date.parse(new X509Certificate(certs[n]!.pem).validFrom);
const validTo = (n: string): number => Date.parse(new X509Certificate(certs[n]!.pem).validTo);
function now(): number {
  return validFrom('server') + DAY;
}

function validate(
  chain: string[],
  identity = 'vpn.example.com',
  at = now(),
  cas = [certs.root!.pem],
): CertificateValidationResult {
  return validateServerCertificate(provider, {
    chain: chain.map((n) => certs[n]!.der),
    trustedCas: cas,
    expectedIdentity: id(identity),
    now: at,
  });
}

function errorOf(r: CertificateValidationResult): { code: string; message: string; fix: string } {
  if (r.ok) throw new Error('expected a validation failure');
  return r.error;
}

describe('parseCertificate', () => {
  it('reads the fields the validation needs', () => {
    const c = parseCertificate(certs.server!.der);
    expect(c.subjectAltNames.dns).toEqual(['vpn.example.com']);
    expect(c.subjectAltNames.ip.map((b) => b.length)).toEqual([4, 16]);
    expect(c.subjectAltNames.email).toEqual(['vpn@example.com']);
    expect(c.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.8.2.2']);
    expect(c.isCa).toBe(false);
    expect(c.keyUsage).toBe(1);
    const x = new X509Certificate(certs.server!.pem);
    expect(c.notBefore).toBe(Date.parse(x.validFrom));
    expect(c.notAfter).toBe(Date.parse(x.validTo));
    expect(Buffer.from(c.spki).equals(x.publicKey.export({ format: 'der', type: 'spki' }))).toBe(
      true,
    );
    const root = parseCertificate(certs.root!.der);
    expect(root.isCa).toBe(true);
    expect(root.keyUsage! & (1 << 5)).toBeTruthy();
    expect(parseCertificate(certs['critical-unknown']!.der).unknownCriticalExtensions).toEqual([
      '1.2.3.4',
    ]);
  });

  it('throws only DerError-like errors on mutated certificates, never crashes', () => {
    const der = certs.server!.der;
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const m = der.slice();
        m[pos] = m[pos]! ^ x;
        try {
          parseCertificate(m);
        } catch (e) {
          expect((e as Error).name).toBe('DerError');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('validateServerCertificate', () => {
  it('accepts a good chain and returns the end-entity key, which verifies AUTH', () => {
    const r = validate(['server', 'inter']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.publicKey).toEqual({ kind: 'ec', curve: 'P-256', bits: 256 });
    expect(r.path).toEqual([
      'C=XX, O=Org, CN=vpn.example.com',
      'C=XX, O=Test, CN=Test Intermediate CA',
      'C=XX, O=Test, CN=Test Root CA',
    ]);
    const octets = new TextEncoder().encode('octets');
    const s = signAuth(provider, certs.server!.keyPem, 'auto', octets, [2, 3, 4]);
    if (!s.ok) throw new Error(s.error.message);
    expect(verifyAuth(provider, r.publicKeySpki, s.method, s.authData, octets).ok).toBe(true);
  });

  it('matches every SAN type: IPv4, IPv6, RFC822, and the subject DN', () => {
    expect(validate(['server', 'inter'], '198.51.100.10').ok).toBe(true);
    expect(validate(['server', 'inter'], '2001:db8::10').ok).toBe(true);
    expect(validate(['server', 'inter'], 'vpn@example.com').ok).toBe(true);
    expect(validate(['server', 'inter'], 'VPN.Example.COM').ok).toBe(true);
    expect(validate(['server', 'inter'], 'C=XX, O=Org, CN=vpn.example.com').ok).toBe(true);
  });

  it('accepts unordered chains and chains that include the root, RSA and Ed25519 servers', () => {
    expect(validate(['server', 'root', 'inter']).ok).toBe(true);
    expect(validate(['rsa-server']).ok).toBe(true);
    expect(validate(['ed-server']).ok).toBe(true);
    // Trust anchors given as DER and as a PEM bundle
    expect(
      validate(['server', 'inter'], 'vpn.example.com', now(), [
        certs['other-root']!.pem + certs.root!.pem,
      ]).ok,
    ).toBe(true);
    expect(
      validateServerCertificate(provider, {
        chain: [certs.server!.der, certs.inter!.der],
        trustedCas: [certs.root!.der],
        expectedIdentity: id('vpn.example.com'),
        now: now(),
      }).ok,
    ).toBe(true);
  });

  it('identity-mismatch: lists what the certificate has', () => {
    const e = errorOf(validate(['direct']));
    expect(e.code).toBe('identity-mismatch');
    expect(e.message).toBe(
      "the server certificate's SubjectAltName does not contain vpn.example.com, the address you typed (it has: vpn.other.net, 198.51.100.10)" +
        '; its CN matches, but the CN alone is not enough (RFC 4945 §3.1)',
    );
    expect(e.fix).toContain('vpn.other.net');
    // an IPv4 typed as FQDN ("@…") does not match an iPAddress SAN
    expect(errorOf(validate(['server', 'inter'], '@198.51.100.10')).code).toBe('identity-mismatch');
    expect(errorOf(validate(['server', 'inter'], '198.51.100.11')).code).toBe('identity-mismatch');
    expect(errorOf(validate(['server', 'inter'], 'C=XX, O=Org, CN=other')).code).toBe(
      'identity-mismatch',
    );
    expect(errorOf(validate(['server', 'inter'], '@#0102')).code).toBe('identity-mismatch');
  });

  it('identity-mismatch: the CN alone is not enough (RFC 4945 §3.1)', () => {
    const e = errorOf(validate(['cnonly']));
    expect(e.code).toBe('identity-mismatch');
    expect(e.message).toContain('no SubjectAltName');
    expect(e.message).toContain('CN alone is not enough');
  });

  it('certificate-untrusted: another CA, no CA, unknown intermediate', () => {
    expect(errorOf(validate(['foreign'])).code).toBe('certificate-untrusted');
    expect(errorOf(validate(['server', 'inter'], 'vpn.example.com', now(), [])).code).toBe(
      'certificate-untrusted',
    );
    expect(errorOf(validate(['server'])).code).toBe('certificate-untrusted');
    const e = errorOf(
      validate(['server', 'inter'], 'vpn.example.com', now(), [certs['other-root']!.pem]),
    );
    expect(e.message).toContain('Test Root CA');
    expect(e.fix).toMatch(/CA certificate/);
    expect(errorOf(validate([], 'vpn.example.com')).code).toBe('certificate-untrusted');
  });

  it('certificate-expired / certificate-not-yet-valid, with dates', () => {
    const expired = validateServerCertificate(provider, {
      chain: [certs.server!.der, certs.inter!.der],
      trustedCas: [certs.root!.pem],
      expectedIdentity: id('vpn.example.com'),
      now: validTo('server') + 1000,
    });
    expect(expired.ok).toBe(false);
    if (!expired.ok) {
      expect(expired.error.code).toBe('certificate-expired');
      expect(expired.error.notAfter).toBe(validTo('server'));
      expect(expired.error.message).toContain(
        new Date(validTo('server')).toISOString().slice(0, 10),
      );
    }
    const early = errorOf(
      validate(['server', 'inter'], 'vpn.example.com', validFrom('server') - 1000),
    );
    expect(early.code).toBe('certificate-not-yet-valid');
    // the root (10 years) and intermediate (1 year) validity count too
    const lateRoot = errorOf(
      validate(['server', 'inter'], 'vpn.example.com', validTo('root') + DAY),
    );
    expect(lateRoot.code).toBe('certificate-expired');
  });

  it('certificate-invalid: tampered signature, same-name fake CA, non-CA intermediate', () => {
    const tampered = certs.server!.der.slice();
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0x55;
    const t = validateServerCertificate(provider, {
      chain: [tampered, certs.inter!.der],
      trustedCas: [certs.root!.pem],
      expectedIdentity: id('vpn.example.com'),
      now: now(),
    });
    expect(!t.ok && t.error.code).toBe('certificate-invalid');
    expect(errorOf(validate(['forged'])).code).toBe('certificate-invalid');
    const nc = errorOf(validate(['under-notca', 'notca']));
    expect(nc.code).toBe('certificate-invalid');
    expect(nc.message).toContain('not a CA');
    expect(errorOf(validate(['under-no-certsign', 'ca-no-certsign'])).code).toBe(
      'certificate-invalid',
    );
  });

  it('certificate-invalid: EKU without serverAuth/ikeIntermediate, key usage, small RSA key', () => {
    const eku = errorOf(validate(['clientonly']));
    expect(eku.code).toBe('certificate-invalid');
    expect(eku.message).toContain('serverAuth');
    expect(errorOf(validate(['ku-encipher'])).code).toBe('certificate-invalid');
    const weak = errorOf(validate(['weak']));
    expect(weak.code).toBe('certificate-invalid');
    expect(weak.message).toContain('1024');
  });

  it('certificate-invalid: unknown critical extension, name constraints, pathlen', () => {
    expect(errorOf(validate(['critical-unknown'])).message).toContain('1.2.3.4');
    expect(errorOf(validate(['under-nc', 'nc-inter'])).message).toContain('name constraints');
    const pl = errorOf(
      validate(['under-pl0', 'pl0-inter'], 'vpn.example.com', now(), [certs['pl0-root']!.pem]),
    );
    expect(pl.code).toBe('certificate-invalid');
    expect(pl.message).toContain('intermediate');
  });

  it('certificate-invalid: signed with SHA-1', () => {
    const e = errorOf(validate(['sha1-server']));
    expect(e.code).toBe('certificate-invalid');
    expect(e.message).toContain('SHA-1');
  });

  it('never throws on mutated chains, and never accepts them', () => {
    const der = certs.server!.der;
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const m = der.slice();
        m[pos] = m[pos]! ^ x;
        const r = validateServerCertificate(provider, {
          chain: [m, certs.inter!.der],
          trustedCas: [certs.root!.pem],
          expectedIdentity: id('vpn.example.com'),
          now: now(),
        });
        expect(r.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('bounds the chain and the input', () => {
    const long = new Array<string>(MAX_CHAIN_LENGTH + 1).fill('inter');
    expect(errorOf(validate(['server', ...long])).code).toBe('certificate-invalid');
    const garbage = validateServerCertificate(provider, {
      chain: [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])],
      trustedCas: [certs.root!.pem],
      expectedIdentity: id('vpn.example.com'),
      now: now(),
    });
    expect(!garbage.ok && garbage.error.code).toBe('certificate-invalid');
    const huge = validateServerCertificate(provider, {
      chain: [new Uint8Array(20_000)],
      trustedCas: [certs.root!.pem],
      expectedIdentity: id('vpn.example.com'),
      now: now(),
    });
    expect(!huge.ok && huge.error.code).toBe('certificate-invalid');
  });
});

describe('certificateRequestData', () => {
  it('is the SHA-1 of each CA SubjectPublicKeyInfo, concatenated', () => {
    const expected = Buffer.concat(
      ['root', 'other-root'].map((n) =>
        createHash('sha1')
          .update(
            new X509Certificate(certs[n]!.pem).publicKey.export({ format: 'der', type: 'spki' }),
          )
          .digest(),
      ),
    );
    const data = certificateRequestData([
      certs.root!.pem,
      certs['other-root']!.der,
      certs.root!.pem,
      'junk',
    ]);
    expect(Buffer.from(data).equals(expected)).toBe(true);
    expect(certificateRequestData([]).length).toBe(0);
    expect(certificatesFromPemOrDer(certs.root!.pem + certs.inter!.pem)).toHaveLength(2);
  });
});
