import { describe, expect, it } from 'vitest';
import type { NetworkInfo } from '../../../../../electron/main/network/network-info.js';
import {
  classifyNetwork,
  decideNetworkAction,
  type TrustRules,
} from '../../../../../electron/main/network/trust-rules.js';

const rules: TrustRules = {
  enabled: true,
  trustedWifi: [
    { ssid: 'Home WPA2' },
    { ssid: 'Office', bssids: ['00:11:22:33:44:55', 'AA:BB:CC:DD:EE:FF'] },
  ],
  trustedWired: [{ gatewayMac: '00:1B:21:3A:4F:10' }, { dnsSuffix: 'corp.example.com.' }],
  onTrusted: 'disconnect',
  onUntrusted: 'connect',
  alwaysConnectOnOpenWifi: true,
  profileId: 'office',
  killSwitchOnUntrusted: false,
};

type Connected = Exclude<NetworkInfo, { type: 'none' }>;
const wifi = (over: Partial<Connected> = {}): NetworkInfo => ({
  type: 'wifi',
  interface: 'wlan0',
  ssid: 'Home WPA2',
  bssid: '3c:37:86:5a:01:b2',
  open: false,
  ...over,
});
const wired = (over: Partial<Connected> = {}): NetworkInfo => ({
  type: 'ethernet',
  interface: 'eth0',
  ...over,
});
const down = { state: 'disconnected' } as const;
const up = { state: 'connected', profileId: 'office' } as const;

describe('classifyNetwork', () => {
  it('trusts a listed SSID (exact, case-sensitive)', () => {
    expect(classifyNetwork(wifi(), rules)).toBe('trusted');
    expect(classifyNetwork(wifi({ ssid: 'home wpa2' }), rules)).toBe('untrusted');
  });
  it('pins SSIDs to BSSIDs when listed (case-insensitive MACs)', () => {
    expect(classifyNetwork(wifi({ ssid: 'Office', bssid: 'aa:bb:cc:dd:ee:ff' }), rules)).toBe(
      'trusted',
    );
    expect(classifyNetwork(wifi({ ssid: 'Office', bssid: '66:66:66:66:66:66' }), rules)).toBe(
      'untrusted',
    );
    const noBssid: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Office', open: false };
    expect(classifyNetwork(noBssid, rules)).toBe('untrusted');
  });
  it('never trusts a hidden SSID', () => {
    const hidden: NetworkInfo = { type: 'wifi', interface: 'wlan0', bssid: '00:11:22:33:44:55' };
    expect(classifyNetwork(hidden, rules)).toBe('untrusted');
  });
  it('treats open Wi-Fi as open even with a trusted SSID, unless that rule is off', () => {
    expect(classifyNetwork(wifi({ open: true }), rules)).toBe('open-wifi');
    expect(
      classifyNetwork(wifi({ open: true }), { ...rules, alwaysConnectOnOpenWifi: false }),
    ).toBe('trusted');
  });
  it('trusts wired networks by gateway MAC or DNS suffix', () => {
    expect(classifyNetwork(wired({ gatewayMac: '00:1b:21:3a:4f:10' }), rules)).toBe('trusted');
    expect(classifyNetwork(wired({ dnsSuffix: 'corp.example.com' }), rules)).toBe('trusted');
    expect(classifyNetwork(wired({ dnsSuffix: 'evil.example' }), rules)).toBe('untrusted');
    expect(classifyNetwork(wired(), rules)).toBe('untrusted');
  });
  it('needs every field of a wired rule to match; an empty rule trusts nothing', () => {
    const strict = {
      ...rules,
      trustedWired: [{ gatewayMac: '00:1b:21:3a:4f:10', dnsSuffix: 'corp.example.com' }],
    };
    expect(classifyNetwork(wired({ gatewayMac: '00:1b:21:3a:4f:10' }), strict)).toBe('untrusted');
    expect(
      classifyNetwork(
        wired({ gatewayMac: '00:1b:21:3a:4f:10', dnsSuffix: 'corp.example.com' }),
        strict,
      ),
    ).toBe('trusted');
    expect(classifyNetwork(wired(), { ...rules, trustedWired: [{}] })).toBe('untrusted');
  });
  it('does not apply Wi-Fi rules to wired networks or vice versa; other interfaces are untrusted', () => {
    expect(classifyNetwork({ type: 'other', interface: 'usb0', ssid: 'Home WPA2' }, rules)).toBe(
      'untrusted',
    );
    expect(classifyNetwork({ type: 'none' }, rules)).toBe('no-network');
  });
});

describe('decideNetworkAction', () => {
  it('does nothing when trusted networks are off', () => {
    expect(
      decideNetworkAction(wifi({ ssid: 'Cafe', open: true }), { ...rules, enabled: false }, down),
    ).toEqual([]);
  });

  it('disconnects on a trusted network when the tunnel is up, not when it is down', () => {
    expect(decideNetworkAction(wifi(), rules, up)).toEqual([
      { command: 'disconnect', reason: 'Trusted network "Home WPA2"' },
    ]);
    expect(
      decideNetworkAction(wifi(), rules, { state: 'reconnecting', profileId: 'office' }),
    ).toHaveLength(1);
    expect(decideNetworkAction(wifi(), rules, down)).toEqual([]);
    expect(decideNetworkAction(wifi(), { ...rules, onTrusted: 'nothing' }, up)).toEqual([]);
  });

  it('connects the chosen profile on an unknown network when down', () => {
    expect(decideNetworkAction(wifi({ ssid: 'Airport' }), rules, down)).toEqual([
      { command: 'connect', profileId: 'office', reason: 'Untrusted network "Airport"' },
    ]);
    expect(
      decideNetworkAction(wired(), rules, {
        state: 'error',
        cause: { code: 'x', message: 'y' },
      } as never),
    ).toEqual([{ command: 'connect', profileId: 'office', reason: 'Untrusted network (wired)' }]);
  });

  it('leaves an existing connection alone, even to another profile', () => {
    expect(decideNetworkAction(wifi({ ssid: 'Airport' }), rules, up)).toEqual([]);
    expect(
      decideNetworkAction(wifi({ ssid: 'Airport' }), rules, {
        state: 'connecting',
        profileId: 'home',
      }),
    ).toEqual([]);
  });

  it('respects "nothing" for unknown networks but always connects on open Wi-Fi', () => {
    const passive = { ...rules, onUntrusted: 'nothing' as const };
    expect(decideNetworkAction(wifi({ ssid: 'Airport' }), passive, down)).toEqual([]);
    expect(decideNetworkAction(wifi({ ssid: 'Cafe', open: true }), passive, down)).toEqual([
      { command: 'connect', profileId: 'office', reason: 'Open Wi-Fi "Cafe"' },
    ]);
  });

  it('keeps the kill switch on for untrusted networks, before connecting; a trusted one gives it back', () => {
    const ks = { ...rules, killSwitchOnUntrusted: true };
    expect(decideNetworkAction(wifi({ ssid: 'Airport' }), ks, down)).toEqual([
      { command: 'kill-switch', on: true, reason: 'Untrusted network "Airport"' },
      { command: 'connect', profileId: 'office', reason: 'Untrusted network "Airport"' },
    ]);
    // open Wi-Fi is untrusted too; a tunnel that is up keeps it on for when it drops
    expect(decideNetworkAction(wifi({ ssid: 'Cafe', open: true }), ks, up)).toEqual([
      { command: 'kill-switch', on: true, reason: 'Open Wi-Fi "Cafe"' },
    ]);
    expect(decideNetworkAction(wifi(), ks, up)).toEqual([
      { command: 'kill-switch', on: false, reason: 'Trusted network "Home WPA2"' },
      { command: 'disconnect', reason: 'Trusted network "Home WPA2"' },
    ]);
    expect(decideNetworkAction(wifi(), ks, down)).toEqual([
      { command: 'kill-switch', on: false, reason: 'Trusted network "Home WPA2"' },
    ]);
    // no network between two: the kill switch stays as it is
    expect(decideNetworkAction({ type: 'none' }, ks, down)).toEqual([]);
    // Without a profile to connect, the block is all that can be done.
    const { profileId: _unused, ...noProfile } = ks;
    expect(decideNetworkAction(wifi({ ssid: 'Airport' }), noProfile, down)).toEqual([
      { command: 'kill-switch', on: true, reason: 'Untrusted network "Airport"' },
    ]);
    // the choice off: the rules never touch the kill switch
    expect(
      decideNetworkAction(
        wifi({ ssid: 'Airport' }),
        { ...noProfile, killSwitchOnUntrusted: false },
        down,
      ),
    ).toEqual([]);
    expect(decideNetworkAction(wifi(), rules, down)).toEqual([]);
  });

  it('names a hidden network in reasons', () => {
    const hidden: NetworkInfo = { type: 'wifi', interface: 'wlan0', open: false };
    expect(decideNetworkAction(hidden, rules, down)[0]).toMatchObject({
      reason: 'Untrusted network (hidden Wi-Fi)',
    });
  });
});
