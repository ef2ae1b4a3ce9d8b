/**
 * resolveSessionConfig: where certificate, key and CA contents come from (the profile's folder
 * for the foreground CLI; only the sent contents in the helper), and the gateway address the
 * helper already resolved for its firewall.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile, type Profile } from '../../../../native-helper/profile/profile.js';
import {
  ConfigError,
  resolveSessionConfig,
} from '../../../../native-helper/tunnel/session-config.js';
import { makeSelfSigned, type PemFixture } from './pem-fixture.js';

let client: PemFixture;
let ca: PemFixture;
let dir: string;

beforeAll(() => {
  client = makeSelfSigned('alice');
  ca = makeSelfSigned('Lab CA');
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-session-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const certProfile = (server = '127.0.0.1'): Profile =>
  parseProfile({
    version: 1,
    name: 'Office',
    server,
    remoteId: 'vpn.lab.test',
    auth: { method: 'cert', certificate: 'alice.pem', privateKey: 'alice.key' },
    ca: ['ca.pem'],
  });

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveSessionConfig: encrypted private keys', () => {
  const encrypted = () =>
    createPrivateKey(client.key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' })
      .toString();
  const withPassphrase = (passphrase?: string): Profile =>
    parseProfile({
      version: 1,
      name: 'Office',
      server: '127.0.0.1',
      remoteId: 'vpn.lab.test',
      auth: {
        method: 'cert',
        certificate: 'alice.pem',
        privateKey: 'alice.key',
        ...(passphrase !== undefined ? { passphrase } : {}),
      },
      ca: ['ca.pem'],
    });
  const files = (key: string) => ({
    kind: 'sent' as const,
    contents: { 'alice.pem': client.cert, 'alice.key': key, 'ca.pem': ca.cert },
  });

  it('opens an encrypted PKCS#8 key with the passphrase (the same key, unencrypted, in memory)', async () => {
    const key = encrypted();
    expect(key).toContain('ENCRYPTED PRIVATE KEY');
    const r = await resolveSessionConfig(withPassphrase('open sesame'), files(key));
    if (r.config.auth.method !== 'cert') throw new Error('not cert');
    const opened = createPrivateKey(r.config.auth.privateKeyPem);
    expect(opened.export({ type: 'pkcs8', format: 'der' })).toEqual(
      createPrivateKey(client.key).export({ type: 'pkcs8', format: 'der' }),
    );
    expect(r.config.auth.privateKeyPem).not.toContain('ENCRYPTED');
  });

  it('a wrong or missing passphrase is named on auth.passphrase', async () => {
    const wrong = await configError(
      resolveSessionConfig(withPassphrase('guess'), files(encrypted())),
    );
    expect(wrong.message).toContain('auth.passphrase');
    expect(wrong.message).toContain('could not be opened with this passphrase');
    const missing = await configError(resolveSessionConfig(withPassphrase(), files(encrypted())));
    expect(missing.message).toContain('the private key is encrypted');
  });

  it('an unencrypted key ignores a passphrase', async () => {
    const r = await resolveSessionConfig(withPassphrase('unused'), files(client.key));
    if (r.config.auth.method !== 'cert') throw new Error('not cert');
    expect(r.config.auth.privateKeyPem).toBe(client.key);
  });
});

describe('resolveSessionConfig: profile files', () => {
  it('uses the sent contents and never the disk (nothing exists at those paths)', async () => {
    const r = await resolveSessionConfig(certProfile(), {
      kind: 'sent',
      contents: { 'alice.pem': client.cert, 'alice.key': client.key, 'ca.pem': ca.cert },
    });
    const auth = r.config.auth;
    expect(auth.method).toBe('cert');
    if (auth.method !== 'cert') return;
    expect(auth.privateKeyPem).toBe(client.key);
    expect(auth.certificates).toHaveLength(1);
    expect(r.config.trustedCas).toEqual([ca.cert]);
    expect(r.config.localId.text).toBe('CN=alice');
  });

  it('a path whose contents were not sent is a config error naming the field', async () => {
    writeFileSync(join(dir, 'alice.key'), client.key);
    const e = await configError(
      resolveSessionConfig(certProfile(), {
        kind: 'sent',
        contents: { 'alice.pem': client.cert, 'ca.pem': ca.cert },
      }),
    );
    expect(e.error.field).toBe('auth.privateKey');
    expect(e.error.detail).toBe(
      'the contents of alice.key were not sent with the connect request: the client must read the file and send it (the helper never opens files named in a profile)',
    );
  });

  it('the foreground CLI reads the files relative to the profile folder', async () => {
    writeFileSync(join(dir, 'alice.pem'), client.cert);
    writeFileSync(join(dir, 'alice.key'), client.key);
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    const r = await resolveSessionConfig(certProfile(), dir);
    expect(r.config.trustedCas).toEqual([ca.cert]);
    const missing = await configError(resolveSessionConfig(certProfile(), join(dir, 'nowhere')));
    expect(missing.error.field).toBe('auth.certificate');
    expect(missing.error.detail).toBe('cannot read alice.pem: ENOENT');
  });

  it('a PSK profile neither reads nor needs its CA files', async () => {
    const profile = parseProfile({
      version: 1,
      name: 'Lab',
      server: '127.0.0.1',
      auth: { method: 'psk', secret: 'lab-secret' },
      ca: ['missing-ca.pem'],
    });
    const r = await resolveSessionConfig(profile, { kind: 'sent', contents: {} });
    expect(r.config.trustedCas).toEqual([]);
  });
});

describe('resolveSessionConfig: gateway address', () => {
  const contents = () => ({ 'alice.pem': client.cert, 'alice.key': client.key, 'ca.pem': ca.cert });

  it('uses the address the helper resolved instead of resolving the name again', async () => {
    const r = await resolveSessionConfig(
      certProfile('gateway.invalid'),
      { kind: 'sent', contents: contents() },
      { gatewayAddress: '127.0.0.1' },
    );
    expect(r.serverAddress).toBe('127.0.0.1');
    expect(r.config.server).toEqual({ address: '127.0.0.1', port: 500 });
    expect(r.config.serverName).toBe('gateway.invalid');
    expect(r.config.remoteId?.text).toBe('vpn.lab.test');
  });

  it('without it the name is resolved (and .invalid never resolves)', async () => {
    const e = await configError(
      resolveSessionConfig(certProfile('gateway.invalid'), {
        kind: 'sent',
        contents: contents(),
      }),
    );
    expect(e.error.field).toBe('server');
    expect(e.error.detail).toMatch(/^cannot resolve gateway\.invalid: /);
  });

  it('refuses a resolved address that is not an IP address', async () => {
    const e = await configError(
      resolveSessionConfig(
        certProfile(),
        { kind: 'sent', contents: contents() },
        { gatewayAddress: 'vpn.lab.test' },
      ),
    );
    expect(e.error.field).toBe('server');
  });
});

describe('resolveSessionConfig: IPv6 inside the tunnel', () => {
  const psk = (routes: 'all' | string[]): Profile =>
    parseProfile({
      version: 1,
      name: 'Lab',
      server: '127.0.0.1',
      auth: { method: 'psk', secret: 'lab-secret' },
      routes,
    });
  const cidrs = (r: { startAddress: string; endAddress: string }[]) =>
    r.map((x) => `${x.startAddress}-${x.endAddress}`);

  it('a full tunnel asks for an IPv6 address and ::/0 next to 0.0.0.0/0', async () => {
    const r = await resolveSessionConfig(psk('all'), { kind: 'sent', contents: {} });
    expect(r.config.requestVirtualIp6).toBe(true);
    expect(cidrs(r.config.remoteTs)).toEqual([
      '0.0.0.0-255.255.255.255',
      '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
  });

  it('split routes with an IPv6 network ask for IPv6 and that network', async () => {
    const r = await resolveSessionConfig(psk(['10.1.0.0/16', 'fd99::/64']), {
      kind: 'sent',
      contents: {},
    });
    expect(r.config.requestVirtualIp6).toBe(true);
    expect(cidrs(r.config.remoteTs)).toEqual([
      '10.1.0.0-10.1.255.255',
      'fd99::-fd99::ffff:ffff:ffff:ffff',
    ]);
  });

  it('IPv4-only split routes do not ask for IPv6', async () => {
    const r = await resolveSessionConfig(psk(['10.1.0.0/16']), { kind: 'sent', contents: {} });
    expect(r.config.requestVirtualIp6).toBe(false);
    expect(r.config.remoteTs.map((t) => t.family)).toEqual([4]);
  });
});

describe('resolveSessionConfig: lifetimes and the remote identity', () => {
  const psk = (extra: Record<string, unknown>): Profile =>
    parseProfile({
      version: 1,
      name: 'Lab',
      server: '127.0.0.1',
      remoteId: 'vpn.lab.test',
      auth: { method: 'psk', secret: 'lab-secret' },
      ...extra,
    });

  it('only lifetimes: the engine keeps its 80–90 % default (no rekey times or jitter passed)', async () => {
    const { config } = await resolveSessionConfig(psk({ ikeLifetime: 600, childLifetime: 120 }), {
      kind: 'sent',
      contents: {},
    });
    expect(config).toMatchObject({ ikeLifetimeMs: 600_000, childLifetimeMs: 120_000 });
    expect('ikeRekeyMs' in config).toBe(false);
    expect('childRekeyMs' in config).toBe(false);
    expect('rekeyJitterMs' in config).toBe(false);
  });

  it('rekey times and jitter go to the engine in milliseconds, lifetimes stay the hard limits', async () => {
    const { config } = await resolveSessionConfig(
      psk({
        ikeLifetime: 600,
        ikeRekeyTime: 500,
        childLifetime: 120,
        childRekeyTime: 100,
        rekeyJitter: 7,
      }),
      { kind: 'sent', contents: {} },
    );
    expect(config).toMatchObject({
      ikeLifetimeMs: 600_000,
      ikeRekeyMs: 500_000,
      childLifetimeMs: 120_000,
      childRekeyMs: 100_000,
      rekeyJitterMs: 7_000,
    });
  });

  it('sendRemoteId: false keeps the remote identity to check but does not ask for it', async () => {
    const asks = await resolveSessionConfig(psk({}), { kind: 'sent', contents: {} });
    expect(asks.config.sendRemoteId).toBe(true);
    const silent = await resolveSessionConfig(psk({ sendRemoteId: false }), {
      kind: 'sent',
      contents: {},
    });
    expect(silent.config.sendRemoteId).toBe(false);
    expect(silent.config.remoteId?.text).toBe('vpn.lab.test');
  });
});
