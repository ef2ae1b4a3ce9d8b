import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseIpNeigh,
  parseIpRouteDefault,
  decodeIwSsid,
  parseIwLink,
  parseIwScanOpen,
  parseNmcliDeviceShow,
  parseNmcliDeviceStatus,
  parseNmcliWifiList,
  parseResolvConfSuffix,
  splitNmcliTerse,
} from '../../../../../electron/main/network/linux-parsers.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('nmcli terse output', () => {
  it('splits on unescaped colons and unescapes \\: and \\\\', () => {
    expect(splitNmcliTerse('yes:Cafe\\: Free:AA\\:BB:')).toEqual([
      'yes',
      'Cafe: Free',
      'AA:BB',
      '',
    ]);
    expect(splitNmcliTerse('a\\\\:b')).toEqual(['a\\', 'b']);
    expect(splitNmcliTerse('')).toEqual(['']);
  });

  it('reads device status', () => {
    expect(parseNmcliDeviceStatus(fixture('nmcli-status-wifi.txt'))).toEqual([
      { device: 'wlp2s0', type: 'wifi', state: 'connected', connection: 'Home WPA2' },
      { device: 'enp0s31f6', type: 'ethernet', state: 'unavailable', connection: '' },
      { device: 'lo', type: 'loopback', state: 'connected (externally)', connection: 'lo' },
      { device: 'p2p-dev-wlp2s0', type: 'wifi-p2p', state: 'disconnected', connection: '' },
    ]);
  });

  it('reads a WPA2 scan list with the active AP, a hidden AP and an escaped open SSID', () => {
    const aps = parseNmcliWifiList(fixture('nmcli-wifi-wpa2.txt'));
    expect(aps[0]).toEqual({
      active: true,
      ssid: 'Home WPA2',
      bssid: '3c:37:86:5a:01:b2',
      security: 'WPA2',
      open: false,
    });
    expect(aps.filter((ap) => ap.active)).toHaveLength(1);
    expect(aps[2]).toMatchObject({ ssid: 'Neighbours', security: 'WPA1 WPA2', open: false });
    expect(aps[3]).toMatchObject({ ssid: undefined, bssid: 'f2:9f:c2:11:22:33' });
    expect(aps[4]).toMatchObject({ ssid: 'Caf\\e: Guest', open: true, security: '' });
  });

  it('reads an open network and a hidden active network', () => {
    expect(parseNmcliWifiList(fixture('nmcli-wifi-open.txt')).find((a) => a.active)).toEqual({
      active: true,
      ssid: 'Cafe: Free WiFi',
      bssid: 'b4:fb:e4:70:00:01',
      security: '',
      open: true,
    });
    expect(
      parseNmcliWifiList(fixture('nmcli-wifi-hidden.txt')).find((a) => a.active),
    ).toMatchObject({
      ssid: undefined,
      open: false,
    });
  });

  it('reads device details: type, gateway, DNS domains (lowercased, deduplicated)', () => {
    expect(parseNmcliDeviceShow(fixture('nmcli-show-ethernet.txt'))).toEqual({
      type: 'ethernet',
      gateway: '10.20.0.1',
      domains: ['corp.example.com', 'example.com'],
    });
    expect(parseNmcliDeviceShow(fixture('nmcli-show-wifi.txt'))).toEqual({
      type: 'wifi',
      gateway: '192.168.1.1',
      domains: ['home.arpa'],
    });
  });

  it('ignores lines with too few fields', () => {
    expect(parseNmcliWifiList('garbage\n\n')).toEqual([]);
  });
});

describe('iw dev <dev> link', () => {
  it('reads a connection', () => {
    expect(parseIwLink(fixture('iw-link-connected.txt'))).toEqual({
      connected: true,
      bssid: '3c:37:86:5a:01:b2',
      ssid: 'Home WPA2',
    });
  });
  it('reads "Not connected."', () => {
    expect(parseIwLink(fixture('iw-link-none.txt'))).toEqual({ connected: false });
  });
  it('reads a hidden SSID as undefined', () => {
    expect(parseIwLink(fixture('iw-link-hidden.txt'))).toMatchObject({
      connected: true,
      ssid: undefined,
    });
  });
  it('decodes \\xNN escapes as UTF-8', () => {
    expect(parseIwLink(fixture('iw-link-escaped.txt'))).toMatchObject({ ssid: 'Café Guest' });
  });
});

describe('ip and resolv.conf', () => {
  it('takes the default route with the lowest metric', () => {
    expect(parseIpRouteDefault(fixture('ip-route-two.txt'))).toEqual({
      device: 'enp0s31f6',
      gateway: '10.20.0.1',
    });
    expect(parseIpRouteDefault(fixture('ip-route-wifi.txt'))).toEqual({
      device: 'wlp2s0',
      gateway: '192.168.1.1',
    });
    expect(parseIpRouteDefault('')).toBeUndefined();
    expect(parseIpRouteDefault('default dev ppp0 scope link\n')).toEqual({ device: 'ppp0' });
  });
  it('reads the gateway MAC from ip neigh', () => {
    expect(parseIpNeigh(fixture('ip-neigh.txt'), '192.168.1.1')).toBe('3c:37:86:5a:01:a0');
    expect(parseIpNeigh('192.168.1.1  FAILED\n', '192.168.1.1')).toBeUndefined();
    expect(parseIpNeigh(fixture('ip-neigh.txt'), '192.168.1.2')).toBeUndefined();
  });
  it('reads the search domain', () => {
    expect(parseResolvConfSuffix(fixture('resolv.conf'))).toBe('lan');
    expect(parseResolvConfSuffix('nameserver 1.1.1.1\n')).toBeUndefined();
    expect(parseResolvConfSuffix('domain Corp.Example.\nsearch b.example a.example\n')).toBe(
      'b.example',
    );
  });
});

describe('edge cases, in the tools’ own formats (fixtures/README.md)', () => {
  it('nmcli: escaped colons and backslashes inside an SSID, a UTF-8 name, mixed WPA2/WPA3', () => {
    expect(parseNmcliWifiList(fixture('nmcli-wifi-escaped.txt'))).toEqual([
      {
        active: false,
        ssid: 'Home WPA2',
        bssid: '3c:37:86:5a:01:b2',
        security: 'WPA2',
        open: false,
      },
      {
        active: true,
        ssid: 'Lab: 5G \\ Guest',
        bssid: '02:00:5e:30:00:01',
        security: 'WPA2 WPA3',
        open: false,
      },
      { active: false, ssid: 'Café', bssid: '02:00:5e:30:00:02', security: 'WPA2', open: false },
    ]);
  });

  it('nmcli device show: values are raw in multiline output (an IPv6 gateway keeps its colons)', () => {
    expect(parseNmcliDeviceShow('IP6.GATEWAY:fe80::1\nIP4.DOMAIN[1]:a\\b.example\n')).toEqual({
      gateway: 'fe80::1',
      domains: ['a\\b.example'],
    });
    expect(parseNmcliDeviceShow(fixture('nmcli-show-wifi.txt')).gateway).toBe('192.168.1.1');
  });

  it('iw: a non-UTF-8 SSID reads as NetworkManager names it (ISO-8859-1)', () => {
    expect(parseIwLink(fixture('iw-link-latin1.txt'))).toEqual({
      connected: true,
      bssid: '02:00:5e:40:00:01',
      ssid: 'Café',
    });
    // the same name through both tools: UTF-8 bytes and Latin-1 bytes of "Café"
    expect(decodeIwSsid('Caf\\xc3\\xa9')).toBe(decodeIwSsid('Caf\\xe9'));
  });

  it('iw: spaces at the ends and a backslash come as \\xNN; a NUL-filled SSID is hidden', () => {
    expect(parseIwLink(fixture('iw-link-edge-spaces.txt'))).toMatchObject({
      ssid: ' Lab\\Guest ',
    });
    expect(parseIwLink(fixture('iw-link-hidden-nul.txt'))).toEqual({
      connected: true,
      bssid: '02:00:5e:40:00:03',
      ssid: undefined,
    });
    // an unfinished escape is text, not a byte
    expect(decodeIwSsid('A\\x4')).toBe('A\\x4');
  });

  it('iw scan dump: open only without the Privacy bit and without RSN or WPA', () => {
    const dump = fixture('iw-scan-dump.txt');
    expect(parseIwScanOpen(dump, '3C:37:86:5A:01:B2')).toBe(false); // WPA2 (RSN)
    expect(parseIwScanOpen(dump, 'b4:fb:e4:70:00:01')).toBe(true); // open
    expect(parseIwScanOpen(dump, '02:00:5e:50:00:01')).toBe(false); // WEP: Privacy
    expect(parseIwScanOpen(dump, '02:00:5e:50:00:02')).toBe(false); // a WPA section
    expect(parseIwScanOpen(dump, '02:00:5e:99:99:99')).toBeUndefined();
    expect(parseIwScanOpen('', 'b4:fb:e4:70:00:01')).toBeUndefined();
  });
});
