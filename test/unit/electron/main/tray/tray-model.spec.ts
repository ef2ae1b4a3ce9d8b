import { describe, expect, it } from 'vitest';
import type { ProfileSummary, TunnelState } from '../../../../../electron/shared/ipc-schema.js';
import { DEFAULT_SETTINGS } from '../../../../../electron/shared/settings-schema.js';
import {
  formatUptime,
  trayIcon,
  trayMenu,
  trayTooltip,
} from '../../../../../electron/main/tray/tray-model.js';
import { existsSync } from 'node:fs';

const profiles: ProfileSummary[] = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' },
  { id: 'home', name: 'Home', server: '198.51.100.7', authMethod: 'cert' },
];
const NOW = 1_700_000_000_000;
const states: Record<TunnelState['state'], TunnelState> = {
  disconnected: { state: 'disconnected' },
  connecting: { state: 'connecting', profileId: 'office' },
  connected: { state: 'connected', profileId: 'office', since: NOW - 3_723_000 },
  reconnecting: { state: 'reconnecting', profileId: 'office', attempt: 2 },
  disconnecting: { state: 'disconnecting', profileId: 'office' },
  error: {
    state: 'error',
    profileId: 'office',
    cause: { code: 'auth-failed', message: 'The gateway refused the pre-shared key' },
  },
};
const control = { tunnelControl: true };

describe('trayIcon', () => {
  it.each([
    ['disconnected', 'tray-disconnected'],
    ['connecting', 'tray-connecting'],
    ['reconnecting', 'tray-connecting'],
    ['disconnecting', 'tray-connecting'],
    ['connected', 'tray-connected'],
    ['error', 'tray-error'],
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
    expect(trayTooltip(states.error, profiles, NOW)).toBe(
      'Tsunagi: The gateway refused the pre-shared key',
    );
    expect(trayTooltip({ state: 'connecting', profileId: 'gone' }, profiles, NOW)).toBe(
      'Tsunagi: connecting to gone…',
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

  it('disconnected: one quick-connect per profile, disconnect disabled', () => {
    const items = trayMenu(states.disconnected, profiles, DEFAULT_SETTINGS, control, NOW);
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
    expect(items.find((i) => i.kind === 'item' && i.label === 'Connect Home')).toMatchObject({
      enabled: true,
      action: { type: 'connect', profileId: 'home' },
    });
    expect(items.find((i) => i.kind === 'item' && i.label === 'Disconnect')).toMatchObject({
      enabled: false,
    });
  });

  it('connected: the active profile is marked, connects are disabled, disconnect enabled', () => {
    const items = trayMenu(states.connected, profiles, DEFAULT_SETTINGS, control, NOW);
    expect(labels(items)).toContain('Office ✓');
    expect(items.find((i) => i.kind === 'item' && i.label === 'Connect Home')).toMatchObject({
      enabled: false,
    });
    expect(items.find((i) => i.kind === 'item' && i.label === 'Disconnect')).toMatchObject({
      enabled: true,
      action: { type: 'disconnect' },
    });
    expect(labels(items)[0]).toBe('connected to Office (vpn.example.com) for 1 h 02 min');
  });

  it('error: connecting again is possible', () => {
    const items = trayMenu(states.error, profiles, DEFAULT_SETTINGS, control, NOW);
    expect(items.find((i) => i.kind === 'item' && i.label === 'Connect Office')).toMatchObject({
      enabled: true,
    });
    expect(items.find((i) => i.kind === 'item' && i.label === 'Disconnect')).toMatchObject({
      enabled: false,
    });
  });

  it('kill switch reflects the setting and toggles it', () => {
    const on = trayMenu(
      states.disconnected,
      profiles,
      { ...DEFAULT_SETTINGS, killSwitch: true },
      control,
      NOW,
    );
    expect(on.find((i) => i.kind === 'item' && i.label === 'Kill switch')).toMatchObject({
      checked: true,
      action: { type: 'set-kill-switch', enabled: false },
    });
  });

  it('without the helper, connect and disconnect are disabled and say why', () => {
    const items = trayMenu(
      states.disconnected,
      profiles,
      DEFAULT_SETTINGS,
      { tunnelControl: false },
      NOW,
    );
    const connect = items.find((i) => i.kind === 'item' && i.label === 'Connect Office');
    expect(connect).toMatchObject({ enabled: false, note: 'The Tsunagi service is not running' });
  });

  it('no profiles: says so', () => {
    expect(labels(trayMenu(states.disconnected, [], DEFAULT_SETTINGS, control, NOW))).toContain(
      'No profiles yet',
    );
  });
});
