import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CommandError,
  detectNetwork,
  NetworkDetectionError,
  type CommandRunner,
} from '../../../../../electron/main/network/detect-network.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** A machine made of recorded command output; anything not recorded is "not installed". */
function machine(outputs: Record<string, string>, files: Record<string, string> = {}) {
  const calls: string[] = [];
  const runner: CommandRunner = {
    run: async (command, args) => {
      const line = [command, ...args].join(' ');
      calls.push(line);
      const out = outputs[line] ?? outputs[command];
      if (out === undefined)
        throw new CommandError(command, 'missing', `${command}: not installed`);
      if (out.startsWith('FAIL:')) throw new CommandError(command, 'failed', out.slice(5));
      return out;
    },
    readText: async (path) => files[path],
  };
  return { runner, calls };
}

const NM_WIFI = 'nmcli -t -f ACTIVE,SSID,BSSID,SECURITY device wifi list ifname wlp2s0 --rescan no';
const NM_STATUS = 'nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device status';
const NM_SHOW = (dev: string) =>
  `nmcli -t -f GENERAL.TYPE,IP4.GATEWAY,IP4.DOMAIN,IP6.GATEWAY,IP6.DOMAIN device show ${dev}`;

describe('detectNetwork on Linux with NetworkManager', () => {
  it('WPA2 Wi-Fi: SSID, BSSID, not open, gateway MAC, DNS suffix', async () => {
    const { runner } = machine({
      'ip route show default': fixture('ip-route-wifi.txt'),
      [NM_STATUS]: fixture('nmcli-status-wifi.txt'),
      [NM_SHOW('wlp2s0')]: fixture('nmcli-show-wifi.txt'),
      [NM_WIFI]: fixture('nmcli-wifi-wpa2.txt'),
      'ip neigh show 192.168.1.1 dev wlp2s0': fixture('ip-neigh.txt'),
    });
    expect(await detectNetwork('linux', runner)).toEqual({
      type: 'wifi',
      interface: 'wlp2s0',
      ssid: 'Home WPA2',
      bssid: '3c:37:86:5a:01:b2',
      open: false,
      gatewayIp: '192.168.1.1',
      gatewayMac: '3c:37:86:5a:01:a0',
      dnsSuffix: 'home.arpa',
    });
  });

  it('open Wi-Fi with a colon in its SSID', async () => {
    const { runner } = machine({
      'ip route show default': fixture('ip-route-wifi.txt'),
      [NM_STATUS]: fixture('nmcli-status-wifi.txt'),
      [NM_SHOW('wlp2s0')]: fixture('nmcli-show-wifi.txt'),
      [NM_WIFI]: fixture('nmcli-wifi-open.txt'),
      'ip neigh show 192.168.1.1 dev wlp2s0': '',
    });
    const network = await detectNetwork('linux', runner);
    expect(network).toMatchObject({ type: 'wifi', ssid: 'Cafe: Free WiFi', open: true });
    expect(network).not.toHaveProperty('gatewayMac');
  });

  it('hidden Wi-Fi: no SSID', async () => {
    const { runner } = machine({
      'ip route show default': fixture('ip-route-wifi.txt'),
      [NM_STATUS]: fixture('nmcli-status-wifi.txt'),
      [NM_WIFI]: fixture('nmcli-wifi-hidden.txt'),
    });
    const network = await detectNetwork('linux', runner);
    expect(network).toMatchObject({ type: 'wifi', bssid: 'f2:9f:c2:11:22:33', open: false });
    expect(network).not.toHaveProperty('ssid');
  });

  it('Ethernet: the lowest-metric default route wins; DNS suffix lowercased', async () => {
    const { runner } = machine({
      'ip route show default': fixture('ip-route-two.txt'),
      [NM_STATUS]: fixture('nmcli-status-ethernet.txt'),
      [NM_SHOW('enp0s31f6')]: fixture('nmcli-show-ethernet.txt'),
      'ip neigh show 10.20.0.1 dev enp0s31f6': '10.20.0.1 lladdr 00:1B:21:3A:4F:10 STALE\n',
    });
    expect(await detectNetwork('linux', runner)).toEqual({
      type: 'ethernet',
      interface: 'enp0s31f6',
      gatewayIp: '10.20.0.1',
      gatewayMac: '00:1b:21:3a:4f:10',
      dnsSuffix: 'corp.example.com',
    });
  });

  it('no connection: no default route', async () => {
    const { runner, calls } = machine({
      'ip route show default': '',
      [NM_STATUS]: fixture('nmcli-status-none.txt'),
    });
    expect(await detectNetwork('linux', runner)).toEqual({ type: 'none' });
    expect(calls).toEqual(['ip route show default']);
  });

  it('fails with a typed error when the route table cannot be read', async () => {
    const { runner } = machine({});
    await expect(detectNetwork('linux', runner)).rejects.toMatchObject({
      name: 'NetworkDetectionError',
      code: 'detection-failed',
    });
  });
});

describe('detectNetwork on Linux without NetworkManager (iw fallback)', () => {
  const wlan = { '/sys/class/net/wlan0/uevent': 'DEVTYPE=wlan\nINTERFACE=wlan0\nIFINDEX=3\n' };

  it('Wi-Fi from iw link; security unknown; suffix from resolv.conf', async () => {
    const { runner } = machine(
      {
        'ip route show default': 'default via 192.168.1.1 dev wlan0 proto dhcp metric 600\n',
        [NM_STATUS]: 'FAIL:Error: NetworkManager is not running.',
        'iw dev wlan0 link': fixture('iw-link-connected.txt'),
        'ip neigh show 192.168.1.1 dev wlan0': fixture('ip-neigh.txt'),
      },
      { ...wlan, '/etc/resolv.conf': fixture('resolv.conf') },
    );
    const network = await detectNetwork('linux', runner);
    expect(network).toEqual({
      type: 'wifi',
      interface: 'wlan0',
      ssid: 'Home WPA2',
      bssid: '3c:37:86:5a:01:b2',
      gatewayIp: '192.168.1.1',
      gatewayMac: '3c:37:86:5a:01:a0',
      dnsSuffix: 'lan',
    });
    expect(network).not.toHaveProperty('open');
  });

  it('open Wi-Fi without NetworkManager: the cached scan (iw scan dump) tells', async () => {
    const { runner, calls } = machine(
      {
        'ip route show default': 'default via 192.168.1.1 dev wlan0 proto dhcp metric 600\n',
        'iw dev wlan0 link': fixture('iw-link-escaped.txt'),
        'iw dev wlan0 scan dump': fixture('iw-scan-dump.txt'),
      },
      wlan,
    );
    expect(await detectNetwork('linux', runner)).toMatchObject({
      type: 'wifi',
      ssid: 'Café Guest',
      bssid: 'b4:fb:e4:70:00:01',
      open: true,
    });
    expect(calls).toContain('iw dev wlan0 scan dump');
  });

  it('nmcli not installed, plain Ethernet from sysfs', async () => {
    const { runner } = machine(
      { 'ip route show default': 'default via 10.0.0.1 dev eth0\n' },
      { '/sys/class/net/eth0/uevent': 'INTERFACE=eth0\nIFINDEX=2\n' },
    );
    expect(await detectNetwork('linux', runner)).toEqual({
      type: 'ethernet',
      interface: 'eth0',
      gatewayIp: '10.0.0.1',
    });
  });

  it('an interface NetworkManager does not manage falls back too', async () => {
    const { runner } = machine(
      {
        'ip route show default': 'default via 10.0.0.1 dev br0\n',
        [NM_STATUS]: 'br0:bridge:unmanaged:\n',
      },
      { '/sys/class/net/br0/uevent': 'DEVTYPE=bridge\nINTERFACE=br0\n' },
    );
    expect(await detectNetwork('linux', runner)).toMatchObject({ type: 'other', interface: 'br0' });
  });
});

describe('other platforms', () => {
  it.each(['darwin', 'win32'] as const)('%s fails honestly', async (platform) => {
    const error = await detectNetwork(platform, machine({}).runner).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkDetectionError);
    expect(error).toMatchObject({ code: 'unsupported-platform' });
    expect((error as Error).message).toMatch(/not supported on this platform yet/);
  });
});
