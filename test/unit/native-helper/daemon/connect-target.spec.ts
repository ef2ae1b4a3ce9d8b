/**
 * buildConnectTarget: the root helper takes certificate, key and CA contents from the request
 * (never from a path the client chose), refuses a profile whose files were not sent, and keeps
 * the gateway address it resolved for the firewall.
 */
import { describe, expect, it } from 'vitest';
import {
  buildConnectTarget,
  ConnectRefused,
  type Resolver,
} from '../../../../native-helper/daemon/connect-target.js';

const resolver: Resolver = async () => '198.51.100.10';

const CERT_PROFILE = {
  version: 1,
  name: 'Office',
  server: 'vpn.lab.test',
  auth: { method: 'cert', certificate: 'alice.pem', privateKey: '/etc/shadow' },
  ca: ['ca.pem'],
};

async function refusal(p: Promise<unknown>): Promise<ConnectRefused> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConnectRefused) return e;
    throw e;
  }
  throw new Error('expected the connect to be refused');
}

describe('buildConnectTarget', () => {
  it('refuses a certificate profile whose files were not sent, naming each field and path', async () => {
    const e = await refusal(buildConnectTarget(CERT_PROFILE, undefined, '/home/alice', resolver));
    expect(e.code).toBe('invalid-profile');
    expect(e.message).toContain('auth.certificate: the contents of "alice.pem" were not sent');
    expect(e.message).toContain('auth.privateKey: the contents of "/etc/shadow" were not sent');
    expect(e.message).toContain('ca[0]: the contents of "ca.pem" were not sent');
    expect(e.message).toContain('never opens files named in a profile');
  });

  it('refuses when only some of the files were sent', async () => {
    const e = await refusal(
      buildConnectTarget(CERT_PROFILE, undefined, '/home/alice', resolver, {
        'alice.pem': 'CERT',
        'ca.pem': 'CA',
      }),
    );
    expect(e.message).toBe(
      'auth.privateKey: the contents of "/etc/shadow" were not sent with connect (the helper never opens files named in a profile: the client reads them and sends them in "files"; \'tsunagi up\' and the app do this)',
    );
  });

  it('keeps exactly the sent contents the profile needs; the private key is redacted as a secret', async () => {
    const t = await buildConnectTarget(CERT_PROFILE, undefined, '/home/alice', resolver, {
      'alice.pem': 'CERT',
      '/etc/shadow': 'KEY',
      'ca.pem': 'CA',
      'unrelated.pem': 'X',
    });
    expect(t.files).toEqual({ 'alice.pem': 'CERT', '/etc/shadow': 'KEY', 'ca.pem': 'CA' });
    expect(t.secrets).toEqual(['KEY']);
    expect(t.gateway).toEqual({ address: '198.51.100.10' });
    expect(t.baseDir).toBe('/home/alice');
  });

  it('needs no files for a PSK profile (its CAs are never used)', async () => {
    const t = await buildConnectTarget(
      {
        version: 1,
        name: 'Lab',
        server: 'vpn.lab.test',
        auth: { method: 'psk', secret: { keychain: 'lab' } },
        ca: ['ca.pem'],
      },
      { lab: 'psk-secret-123' },
      undefined,
      resolver,
    );
    expect(t.files).toEqual({});
    expect(t.secrets).toEqual(['psk-secret-123']);
  });

  it('an EAP profile needs its CA files', async () => {
    const e = await refusal(
      buildConnectTarget(
        {
          version: 1,
          name: 'Lab',
          server: 'vpn.lab.test',
          auth: { method: 'eap-mschapv2', username: 'alice', password: 'pw' },
          ca: ['gw-ca.pem'],
        },
        undefined,
        undefined,
        resolver,
        {},
      ),
    );
    expect(e.message).toMatch(/^ca\[0\]: the contents of "gw-ca\.pem" were not sent/);
  });
});
