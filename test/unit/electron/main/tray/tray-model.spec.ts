import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  ConnectionSnapshot,
  HelperLink,
  ProfileSummary,
  TunnelState,
} from '../../../../../electron/shared/ipc-schema.js';
import { DEFAULT_SETTINGS } from '../../../../../electron/shared/settings-schema.js';
import {
  formatUptime,
  trayIcon,
  trayMenu,
  trayStatus,
  trayTooltip,
} from '../../../../../electron/main/tray/tray-model.js';
import { ZERO_STATS } from '../../../../../electron/main/tunnel/tunnel-controller.js';
import { blockingNotice } from '../../../../../renderer/lib/tunnel-state-view.js';

const profiles: ProfileSummary[] = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' },
  { id: 'home', name: 'Home', server: '198.51.100.7', authMethod: 'cert' },
];
const NOW = 1_700_000_000_000;
const at = { profile: 'Office', server: 'vpn.example.com', gateway: '203.0.113.5', blocking: true };
const tunnels: Record<TunnelState['state'], TunnelState> = {
  disconnected: { state: 'disconnected', reason: 'user', blocking: false },
  connecting: { state: 'connecting', ...at, since: NOW },
  connected: {
    state: 'connected',
    ...at,
    virtualIp: '10.0.0.2',
    dns: [],
    tun: 'tsunagi0',
    ike: 'aes256gcm16-prfsha256-x25519',
    esp: 'aes256gcm16',
    routes: ['0.0.0.0/1', '128.0.0.0/1'],
    since: NOW - 3_723_000,
  },
  reconnecting: {
    state: 'reconnecting',
    ...at,
    attempt: 2,
    reason: 'peer unreachable',
    since: NOW,
  },
  disconnecting: { state: 'disconnecting', profile: 'Office', blocking: true },
  error: {
    state: 'error',
    code: 'auth-failed',
    message: 'The gateway refused the pre-shared key',
    fix: 'Check the PSK',
    blocking: true,
  },
};
const READY: HelperLink = { status: 'ready', helperVersion: '0.1.0' };
function snap(
  state: TunnelState['state'],
  helper: HelperLink = READY,
  profileId: string | null = state === 'disconnected' ? null : 'office',
): ConnectionSnapshot {
  return { helper, tunnel: tunnels[state], profileId, stats: ZERO_STATS, timeline: [] };
}
const states = Object.fromEntries(
  Object.keys(tunnels).map((k) => [k, snap(k as TunnelState['state'])]),
) as Record<TunnelState['state'], ConnectionSnapshot>;
const NOT_RUNNING: HelperLink = {
  status: 'unavailable',
  reason: 'The Tsunagi service is not running',
  fix: 'Start it: sudo systemctl enable --now tsunagi-helper',
};

describe('trayIcon', () => {
  it.each([
    ['disconnected', 'tray-disconnected'],
    ['connecting', 'tray-connecting'],
    ['reconnecting', 'tray-connecting'],
    ['disconnecting', 'tray-connecting'],
    ['connected', 'tray-connected'],
    // the fixture's error blocks (kill switch on): the padlock says so
    ['error', 'tray-blocked'],
  ] as const)('%s → %s, for both panel themes, and the files exist', (state, base) => {
    for (const theme of ['light', 'dark'] as const) {
      const name = trayIcon(states[state], theme);
      expect(name).toBe(`${base}-${theme}.png`);
      expect(existsSync(new URL(`../../../../../assets/tray/${name}`, import.meta.url))).toBe(true);
      expect(
        existsSync(
          new URL(`../../../../../assets/tray/${name.replace('.png', '@2x.png')}`, import.meta.url),
        ),
      ).toBe(true);
    }
  });

  it('no service: the error icon, whatever the last tunnel state was', () => {
    expect(trayStatus(snap('disconnected', NOT_RUNNING))).toBe('error');
    expect(trayStatus(snap('disconnected', { status: 'connecting' }))).toBe('disconnected');
  });

  it('blocked without a tunnel (lockdown, the kill switch after a failure): the padlock', () => {
    const with_ = (tunnel: TunnelState, helper: HelperLink = READY): ConnectionSnapshot => ({
      ...snap('disconnected', helper),
      tunnel,
    });
    const lockdown: TunnelState = { state: 'disconnected', reason: 'user', blocking: true };
    expect(trayStatus(with_(lockdown))).toBe('blocked');
    expect(trayIcon(with_(lockdown), 'dark')).toBe('tray-blocked-dark.png');
    expect(trayStatus(with_({ ...tunnels.error, blocking: false } as TunnelState))).toBe('error');
    // the kernel keeps a crashed helper's block: still blocked, not just "error"
    expect(trayStatus(with_(lockdown, NOT_RUNNING))).toBe('blocked');
    // a tunnel that is up or on its way is not "blocked", whatever its kill switch does
    for (const state of ['connecting', 'connected', 'reconnecting', 'disconnecting'] as const)
      expect(trayStatus(states[state])).not.toBe('blocked');
  });

  it('says blocked exactly when the window says traffic is blocked without a tunnel', () => {
    const all: TunnelState[] = Object.values(tunnels).flatMap((t) => [
      { ...t, blocking: true } as TunnelState,
      { ...t, blocking: false } as TunnelState,
    ]);
    for (const tunnel of all) {
      const connection = { ...snap('disconnected'), tunnel };
      const windowBlocked =
        blockingNotice(tunnel) !== undefined &&
        (tunnel.state === 'disconnected' || tunnel.state === 'error');
      expect(trayStatus(connection) === 'blocked', `${tunnel.state} ${tunnel.blocking}`).toBe(
        windowBlocked,
      );
    }
  });
});

describe('trayTooltip', () => {
  it('names the server and the uptime when connected', () => {
    expect(trayTooltip(states.connected, profiles, NOW)).toBe(
      'Tsunagi: connected to Office (vpn.example.com) for 1 h 02 min',
    );
  });
  it('describes the other states', () => {
    expect(trayTooltip(states.disconnected, profiles, NOW)).toBe('Tsunagi: disconnected');
    expect(trayTooltip(states.connecting, profiles, NOW)).toBe(
      'Tsunagi: connecting to Office (vpn.example.com)…',
    );
    expect(trayTooltip(states.reconnecting, profiles, NOW)).toMatch(/attempt 2/);
    expect(trayTooltip(states.disconnecting, profiles, NOW)).toBe(
      'Tsunagi: disconnecting from Office (vpn.example.com)…',
    );
    expect(trayTooltip(states.error, profiles, NOW)).toBe(
      'Tsunagi: The gateway refused the pre-shared key — the kill switch blocks your traffic',
    );
    expect(
      trayTooltip(
        { ...states.error, tunnel: { ...tunnels.error, blocking: false } as TunnelState },
        profiles,
        NOW,
      ),
    ).toBe('Tsunagi: The gateway refused the pre-shared key');
    expect(
      trayTooltip(
        {
          ...states.disconnected,
          tunnel: { state: 'disconnected', reason: 'user', blocking: true },
        },
        profiles,
        NOW,
      ),
    ).toBe('Tsunagi: disconnected — lockdown blocks all traffic outside the VPN');
    // started by the CLI: the helper's profile name
    expect(trayTooltip(snap('connecting', READY, null), profiles, NOW)).toBe(
      'Tsunagi: connecting to Office…',
    );
    expect(trayTooltip(snap('disconnected', NOT_RUNNING), profiles, NOW)).toBe(
      'Tsunagi: The Tsunagi service is not running',
    );
  });
  it('formats uptimes', () => {
    expect(formatUptime(42_000)).toBe('42 s');
    expect(formatUptime(5 * 60_000 + 10)).toBe('5 min');
    expect(formatUptime(26 * 3_600_000)).toBe('1 d 2 h');
    expect(formatUptime(-5)).toBe('0 s');
  });
});

describe('trayMenu', () => {
  const labels = (items: ReturnType<typeof trayMenu>) =>
    items.map((i) => (i.kind === 'separator' ? '---' : i.label));
  const item = (items: ReturnType<typeof trayMenu>, label: string) =>
    items.find((i) => i.kind === 'item' && i.label === label);

  it('disconnected: one quick-connect per profile, disconnect disabled', () => {
    const items = trayMenu(states.disconnected, profiles, DEFAULT_SETTINGS, NOW);
    expect(labels(items)).toEqual([
      'disconnected',
      '---',
      'Connect Office',
      'Connect Home',
      'Disconnect',
      '---',
      'Kill switch',
      '---',
      'Open Tsunagi',
      'Quit',
    ]);
    expect(item(items, 'Connect Home')).toMatchObject({
      enabled: true,
      action: { type: 'connect', profileId: 'home' },
    });
    expect(item(items, 'Disconnect')).toMatchObject({ enabled: false });
  });

  it.each(['connecting', 'connected', 'reconnecting'] as const)(
    '%s: the active profile is marked, connects are disabled, disconnect enabled',
    (state) => {
      const items = trayMenu(states[state], profiles, DEFAULT_SETTINGS, NOW);
      expect(labels(items)).toContain('Office ✓');
      expect(item(items, 'Connect Home')).toMatchObject({ enabled: false });
      expect(item(items, 'Disconnect')).toMatchObject({
        enabled: true,
        action: { type: 'disconnect' },
      });
    },
  );

  it('connected: the first line is the tooltip without the app name', () => {
    const items = trayMenu(states.connected, profiles, DEFAULT_SETTINGS, NOW);
    expect(labels(items)[0]).toBe('connected to Office (vpn.example.com) for 1 h 02 min');
  });

  it('disconnecting: nothing to click until it settles', () => {
    const items = trayMenu(states.disconnecting, profiles, DEFAULT_SETTINGS, NOW);
    expect(item(items, 'Office ✓')).toMatchObject({ enabled: false });
    expect(item(items, 'Disconnect')).toMatchObject({ enabled: false });
  });

  it('error: connecting again is possible, and disconnect clears the error', () => {
    const items = trayMenu(states.error, profiles, DEFAULT_SETTINGS, NOW);
    expect(item(items, 'Connect Office')).toMatchObject({ enabled: true });
    expect(item(items, 'Disconnect')).toMatchObject({ enabled: true });
  });

  it('kill switch reflects the setting and toggles it', () => {
    const on = trayMenu(
      states.disconnected,
      profiles,
      { ...DEFAULT_SETTINGS, killSwitch: true },
      NOW,
    );
    expect(item(on, 'Kill switch')).toMatchObject({
      checked: true,
      action: { type: 'set-kill-switch', enabled: false },
    });
  });

  it('without the helper, connect and disconnect are disabled and say how to fix it', () => {
    const items = trayMenu(snap('disconnected', NOT_RUNNING), profiles, DEFAULT_SETTINGS, NOW);
    expect(labels(items)[0]).toBe('The Tsunagi service is not running');
    expect(item(items, 'Connect Office')).toMatchObject({
      enabled: false,
      note: 'Start it: sudo systemctl enable --now tsunagi-helper',
    });
    expect(item(items, 'Disconnect')).toMatchObject({ enabled: false });
    const reaching = trayMenu(
      snap('disconnected', { status: 'connecting' }),
      profiles,
      DEFAULT_SETTINGS,
      NOW,
    );
    expect(item(reaching, 'Connect Office')).toMatchObject({
      enabled: false,
      note: 'Reaching the Tsunagi service…',
    });
  });

  it('no profiles: says so', () => {
    expect(labels(trayMenu(states.disconnected, [], DEFAULT_SETTINGS, NOW))).toContain(
      'No profiles yet',
    );
  });
});
