import { describe, expect, it } from 'vitest';
import {
  ProfileError,
  keychainReferences,
  parseProfile,
  parseProfileJson,
  redactProfile,
} from '../../../../native-helper/profile/profile.js';

const office = {
  version: 1,
  name: 'Office',
  server: 'vpn.example.com',
  remoteId: 'vpn.example.com',
  localId: 'alice@example.com',
  auth: { method: 'psk', secret: 's3cret-psk' },
  ca: ['office-ca.pem'],
  ike: 'aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048',
  esp: 'aes256gcm16,chacha20poly1305',
  routes: 'all',
  dns: true,
  mobike: true,
  dpdDelay: 30,
  fragmentation: true,
};

function issuesOf(input: unknown): { field: string; message: string }[] {
  try {
    parseProfile(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as ProfileError).issues;
  }
  throw new Error('expected the profile to be rejected');
}

describe('profile format v1', () => {
  it('accepts the documented example and fills defaults', () => {
    const p = parseProfile(office);
    expect(p.server).toBe('vpn.example.com');
    expect(p.auth).toEqual({ method: 'psk', secret: 's3cret-psk' });
    expect(p.port).toBe(500);
    expect(p.keyingTries).toBe(0);
    const minimal = parseProfile({
      version: 1,
      name: 'M',
      server: '198.51.100.10',
      auth: office.auth,
    });
    expect(minimal).toMatchObject({
      routes: 'all',
      dns: true,
      mobike: true,
      dpdDelay: 30,
      fragmentation: true,
      ca: [],
    });
  });

  it('accepts certificate and EAP-MSCHAPv2 auth, split routes and keychain references', () => {
    const cert = parseProfile({
      ...office,
      auth: {
        method: 'cert',
        certificate: 'alice.pem',
        privateKey: 'alice.key',
        passphrase: { keychain: 'office-key' },
      },
      routes: ['10.0.0.0/8', '192.168.10.0/24', 'fd00::/8'],
    });
    expect(cert.routes).toEqual(['10.0.0.0/8', '192.168.10.0/24', 'fd00::/8']);
    expect(keychainReferences(cert)).toEqual(['office-key']);
    const eap = parseProfile({
      ...office,
      auth: { method: 'eap-mschapv2', username: 'eve', password: { keychain: 'eve@office' } },
    });
    expect(keychainReferences(eap)).toEqual(['eve@office']);
  });

  it('names the field and what is wrong', () => {
    expect(issuesOf({ ...office, version: 2 })).toEqual([
      { field: 'version', message: 'must be 1 (the only version this Tsunagi reads)' },
    ]);
    expect(issuesOf({ ...office, server: '' })).toEqual([
      { field: 'server', message: 'the server must not be empty' },
    ]);
    expect(issuesOf({ ...office, server: 'https://vpn.example.com/' })[0]).toEqual({
      field: 'server',
      message: 'must be a host name or an IP address, without a scheme or path',
    });
    expect(issuesOf({ ...office, routes: ['10.0.0.0/8', '10.0.0.0/33'] })).toEqual([
      { field: 'routes[1]', message: '"10.0.0.0/33" is not a CIDR like 10.0.0.0/8 or fd00::/8' },
    ]);
    expect(issuesOf({ ...office, auth: { method: 'psk' } })[0]!.field).toBe('auth.secret');
    expect(issuesOf({ ...office, auth: { method: 'kerberos' } })[0]).toEqual({
      field: 'auth.method',
      message: 'method must be "psk", "cert" or "eap-mschapv2" (got "kerberos")',
    });
    expect(issuesOf({ ...office, dpdDelay: 'soon' })).toEqual([
      { field: 'dpdDelay', message: 'must be a number of seconds' },
    ]);
    expect(issuesOf({ ...office, colour: 'blue' })).toEqual([
      { field: 'colour', message: 'unknown field "colour"' },
    ]);
  });

  it('mtu: optional, 576..9000 whole bytes; replayWindow: 32..4096 packets, 128 by default', () => {
    const p = parseProfile(office);
    expect(p.mtu).toBeUndefined();
    expect(p.replayWindow).toBe(128);
    expect(parseProfile({ ...office, mtu: 1280, replayWindow: 1024 })).toMatchObject({
      mtu: 1280,
      replayWindow: 1024,
    });
    expect(parseProfile({ ...office, mtu: 576, replayWindow: 32 })).toMatchObject({
      mtu: 576,
      replayWindow: 32,
    });
    expect(parseProfile({ ...office, mtu: 9000, replayWindow: 4096 })).toMatchObject({
      mtu: 9000,
      replayWindow: 4096,
    });
    expect(issuesOf({ ...office, mtu: 575 })).toEqual([
      { field: 'mtu', message: 'must be at least 576 (the IPv4 minimum)' },
    ]);
    expect(issuesOf({ ...office, mtu: 9001 })).toEqual([
      { field: 'mtu', message: 'must be at most 9000 (a jumbo frame)' },
    ]);
    expect(issuesOf({ ...office, mtu: 1400.5 })).toEqual([
      { field: 'mtu', message: 'must be whole bytes' },
    ]);
    expect(issuesOf({ ...office, mtu: '1400' })).toEqual([
      { field: 'mtu', message: 'must be a number of bytes' },
    ]);
    expect(issuesOf({ ...office, replayWindow: 31 })).toEqual([
      { field: 'replayWindow', message: 'must be at least 32 (RFC 4303 §3.4.3)' },
    ]);
    expect(issuesOf({ ...office, replayWindow: 4097 })).toEqual([
      { field: 'replayWindow', message: 'must be at most 4096' },
    ]);
    expect(issuesOf({ ...office, replayWindow: 64.5 })).toEqual([
      { field: 'replayWindow', message: 'must be a whole number of packets' },
    ]);
  });

  it('sendRemoteId: true by default, a boolean', () => {
    expect(parseProfile(office).sendRemoteId).toBe(true);
    expect(parseProfile({ ...office, sendRemoteId: false }).sendRemoteId).toBe(false);
    expect(issuesOf({ ...office, sendRemoteId: 'no' })).toEqual([
      { field: 'sendRemoteId', message: 'must be true or false' },
    ]);
  });

  it('rekey times and jitter: optional, below their lifetimes, the jitter below each rekey time', () => {
    const none = parseProfile(office);
    expect(none).toMatchObject({ ikeLifetime: 14_400, childLifetime: 3_600 });
    expect(none.ikeRekeyTime).toBeUndefined();
    expect(none.childRekeyTime).toBeUndefined();
    expect(none.rekeyJitter).toBeUndefined();
    expect(
      parseProfile({
        ...office,
        ikeLifetime: 3600,
        ikeRekeyTime: 3000,
        childLifetime: 1200,
        childRekeyTime: 1000,
        rekeyJitter: 60,
      }),
    ).toMatchObject({
      ikeLifetime: 3600,
      ikeRekeyTime: 3000,
      childLifetime: 1200,
      childRekeyTime: 1000,
      rekeyJitter: 60,
    });
    // against the default lifetimes (IKE 4 h, Child 1 h)
    expect(parseProfile({ ...office, childRekeyTime: 3599, rekeyJitter: 0 })).toMatchObject({
      childRekeyTime: 3599,
      rekeyJitter: 0,
    });
    expect(issuesOf({ ...office, childRekeyTime: 3600 })).toEqual([
      {
        field: 'childRekeyTime',
        message:
          '3600 s must be below "childLifetime" (3600 s, the hard limit): lower "childRekeyTime" or raise "childLifetime"',
      },
    ]);
    expect(issuesOf({ ...office, ikeLifetime: 60, ikeRekeyTime: 90 })).toEqual([
      {
        field: 'ikeRekeyTime',
        message:
          '90 s must be below "ikeLifetime" (60 s, the hard limit): lower "ikeRekeyTime" or raise "ikeLifetime"',
      },
    ]);
    expect(issuesOf({ ...office, childRekeyTime: 30, rekeyJitter: 30 })).toEqual([
      {
        field: 'rekeyJitter',
        message:
          '30 s must be below the Child SA rekey time (30 s): lower "rekeyJitter" or raise "childRekeyTime"',
      },
    ]);
    // without a rekey time the jitter must stay below 90 % of the lifetime
    expect(issuesOf({ ...office, childLifetime: 100, rekeyJitter: 90 })).toEqual([
      {
        field: 'rekeyJitter',
        message:
          '90 s must be below the Child SA rekey time (90 s, 90 % of "childLifetime"): lower "rekeyJitter" or set "childRekeyTime"',
      },
    ]);
    // reported with the other fields' problems too (an editor shows them all at once)
    expect(issuesOf({ ...office, name: '', childRekeyTime: 3600 })).toEqual([
      { field: 'name', message: expect.any(String) },
      {
        field: 'childRekeyTime',
        message:
          '3600 s must be below "childLifetime" (3600 s, the hard limit): lower "childRekeyTime" or raise "childLifetime"',
      },
    ]);
    expect(issuesOf({ ...office, ikeRekeyTime: 9 })).toEqual([
      { field: 'ikeRekeyTime', message: 'must be at least 10 s' },
    ]);
    expect(issuesOf({ ...office, childRekeyTime: 20.5 })).toEqual([
      { field: 'childRekeyTime', message: 'must be whole seconds' },
    ]);
    expect(issuesOf({ ...office, rekeyJitter: -1 })).toEqual([
      { field: 'rekeyJitter', message: 'must be 0 or more seconds' },
    ]);
    expect(issuesOf({ ...office, rekeyJitter: '5' })).toEqual([
      { field: 'rekeyJitter', message: 'must be a number of seconds' },
    ]);
  });

  it('reports invalid JSON as a profile error and lists every issue in the message', () => {
    expect(() => parseProfileJson('{ "version": 1, ', 'office.json')).toThrow(
      /office.json is invalid:\n {2}- \(profile\): not valid JSON/,
    );
    try {
      parseProfile({ version: 1, name: '', server: '', auth: office.auth });
    } catch (e) {
      expect((e as Error).message).toContain('- name: the name must not be empty');
      expect((e as Error).message).toContain('- server: the server must not be empty');
    }
  });

  it('redacts secrets for export and logs but keeps keychain references', () => {
    const p = parseProfile(office);
    expect(redactProfile(p).auth).toEqual({ method: 'psk', secret: '<redacted>' });
    expect(JSON.stringify(redactProfile(p))).not.toContain('s3cret-psk');
    const ref = parseProfile({ ...office, auth: { method: 'psk', secret: { keychain: 'k' } } });
    expect(redactProfile(ref).auth).toEqual({ method: 'psk', secret: { keychain: 'k' } });
  });
});
