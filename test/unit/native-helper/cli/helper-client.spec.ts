// How the CLI prints the helper's states and events (tsunagi status / events / up).
import { describe, expect, it } from 'vitest';
import {
  describeEvent,
  describeLog,
  describeState,
  describeTimeline,
} from '../../../../native-helper/cli/helper-client.js';

// 2026-01-02 03:04:05 local time
const AT = new Date(2026, 0, 2, 3, 4, 5).getTime();

describe('describeState', () => {
  it('connected shows both virtual addresses when the gateway assigned an IPv6 one', () => {
    expect(
      describeState({
        state: 'connected',
        profile: 'Lab',
        server: 'vpn.lab.test',
        gateway: '198.51.100.10',
        virtualIp: '10.10.10.1',
        virtualIp6: 'fd00::2',
        dns: ['10.99.0.53'],
        tun: 'tsunagi0',
        ike: 'aes256gcm16-prfsha256-x25519',
        esp: 'aes256gcm16',
        routes: ['0.0.0.0/1'],
        blocking: true,
        since: AT,
      }),
    ).toBe(
      'connected  profile=Lab server=vpn.lab.test virtualIp=10.10.10.1 virtualIp6=fd00::2 dns=10.99.0.53 tun=tsunagi0 ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16  [blocking]',
    );
  });

  it('error carries the fix on its own line', () => {
    expect(
      describeState({
        state: 'error',
        code: 'auth-failed',
        message: 'the gateway refused the PSK',
        fix: 'Check the PSK.',
        blocking: false,
      }),
    ).toBe('error  code=auth-failed message=the gateway refused the PSK\n  fix: Check the PSK.');
  });
});

describe('describeEvent', () => {
  it('log lines show time, level and component; timeline entries time and sentence', () => {
    const log = { at: AT, level: 'warn', component: 'firewall', text: 'nft failed' } as const;
    expect(describeLog(log)).toBe('log  03:04:05 warn [firewall] nft failed');
    expect(describeEvent({ type: 'event', event: 'log', entry: log })).toBe(describeLog(log));
    const entry = { at: AT, kind: 'dpd-sent', text: 'Dead-peer check sent' } as const;
    expect(describeTimeline(entry)).toBe('timeline  03:04:05 Dead-peer check sent');
    expect(describeEvent({ type: 'event', event: 'timeline', entry })).toBe(
      'timeline  03:04:05 Dead-peer check sent',
    );
  });

  it('settings and stats', () => {
    expect(
      describeEvent({
        type: 'event',
        event: 'settings',
        settings: { killSwitch: true, lockdown: false, allowLan: true },
      }),
    ).toBe('settings  killSwitch=true lockdown=false allowLan=true');
    expect(
      describeEvent({
        type: 'event',
        event: 'stats',
        stats: {
          at: AT,
          bytesIn: 10,
          bytesOut: 20,
          packetsIn: 1,
          packetsOut: 2,
          drops: 0,
          rateIn: 1.6,
          rateOut: 0,
          ike: '',
          esp: '',
        },
      }),
    ).toBe('stats  in=10B/1p out=20B/2p rate in=2B/s out=0B/s');
  });
});
