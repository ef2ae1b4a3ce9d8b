import { describe, expect, it } from 'vitest';
import {
  describeCurrentNetwork,
  trustNetwork,
} from '../../../../../electron/main/network/current-network.js';
import type { NetworkInfo } from '../../../../../electron/main/network/network-info.js';
import type { TrustedNetworkSettings } from '../../../../../electron/shared/ipc-schema.js';
import { DEFAULT_SETTINGS } from '../../../../../electron/shared/settings-schema.js';

const none: TrustedNetworkSettings = DEFAULT_SETTINGS.trustedNetworks;
/** The `trusted` of a detected network (these tests only describe detected ones). */
const trustedOf = (current: ReturnType<typeof describeCurrentNetwork>) =>
  current.detected ? current.trusted : undefined;

const office: NetworkInfo = {
  type: 'wifi',
  interface: 'wlp2s0',
  ssid: 'Office',
  bssid: '02:00:5e:10:00:01',
  open: false,
};

describe('trust this network', () => {
  it('offers the access point to pin to, and trusts the name or only that access point', () => {
    const current = describeCurrentNetwork(office, none);
    expect(current).toMatchObject({ detected: true, bssid: '02:00:5e:10:00:01', trusted: false });
    expect(trustNetwork(none, current).wifi).toEqual([{ ssid: 'Office' }]);
    const pinned = trustNetwork(none, current, { pinBssid: true });
    expect(pinned.wifi).toEqual([{ ssid: 'Office', bssids: ['02:00:5e:10:00:01'] }]);
    // that access point is trusted now; another one of the same name is not
    expect(trustedOf(describeCurrentNetwork(office, pinned))).toBe(true);
    const other = { ...office, bssid: '02:00:5e:10:00:02' };
    const there = describeCurrentNetwork(other, pinned);
    expect(trustedOf(there)).toBe(false);
    // pinning the second access point adds it to the same rule
    expect(trustNetwork(pinned, there, { pinBssid: true }).wifi).toEqual([
      { ssid: 'Office', bssids: ['02:00:5e:10:00:01', '02:00:5e:10:00:02'] },
    ]);
    // trusting the name folds the pinned rule into one for every access point
    expect(trustNetwork(pinned, there).wifi).toEqual([{ ssid: 'Office' }]);
  });

  it('leaves settings alone for a trusted, open or absent network', () => {
    const trusted = { ...none, wifi: [{ ssid: 'Office' }] };
    expect(trustNetwork(trusted, describeCurrentNetwork(office, trusted))).toBe(trusted);
    const cafe = describeCurrentNetwork({ ...office, ssid: 'Cafe', open: true }, none);
    expect(trustNetwork(none, cafe, { pinBssid: true })).toBe(none);
    expect(trustNetwork(none, describeCurrentNetwork({ type: 'none' }, none))).toBe(none);
  });

  it('trusts a wired network by its gateway MAC, else its DNS suffix', () => {
    const wired = describeCurrentNetwork(
      {
        type: 'ethernet',
        interface: 'eth0',
        gatewayMac: '00:1b:21:3a:4f:10',
        dnsSuffix: 'corp.example.com',
      },
      none,
    );
    expect(trustNetwork(none, wired, { pinBssid: true }).wired).toEqual([
      { gatewayMac: '00:1b:21:3a:4f:10' },
    ]);
  });
});
