import { describe, expect, it } from 'vitest';
import {
  NotificationController,
  notificationFor,
  type AppEvent,
  type NotificationContent,
} from '../../../../../electron/main/notifications/notification-controller.js';
import type { ProfileSummary, TunnelState } from '../../../../../electron/shared/ipc-schema.js';

const profiles: ProfileSummary[] = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' },
];
const tunnel = (
  state: TunnelState,
  previous: TunnelState,
  profileId: string | null = 'office',
): AppEvent => ({ type: 'tunnel', state, previous, profileId });
const at = { profile: 'Office', server: 'vpn.example.com', gateway: '203.0.113.5', blocking: true };
const down: TunnelState = { state: 'disconnected', reason: 'user', blocking: false };
const up: TunnelState = {
  state: 'connected',
  ...at,
  virtualIp: '10.0.0.2',
  dns: [],
  tun: 'tsunagi0',
  ike: '',
  esp: '',
  routes: [],
  since: 0,
};
const connecting: TunnelState = { state: 'connecting', ...at, since: 0 };
const reconnecting = (attempt: number): TunnelState => ({
  state: 'reconnecting',
  ...at,
  attempt,
  reason: 'the gateway stopped answering',
  since: 0,
});
const failed: TunnelState = {
  state: 'error',
  code: 'auth-failed',
  message: 'Authentication failed: the gateway refused the pre-shared key',
  fix: 'Check the pre-shared key in the profile.',
  blocking: true,
};

describe('notificationFor', () => {
  it('connected, disconnected, reconnecting, error with its diagnosis and fix', () => {
    expect(notificationFor(tunnel(up, connecting), profiles)).toMatchObject({
      title: 'Connected to Office',
    });
    expect(notificationFor(tunnel(down, up), profiles)).toMatchObject({ title: 'Disconnected' });
    expect(notificationFor(tunnel(reconnecting(1), up), profiles)).toEqual({
      title: 'Reconnecting to Office',
      body: 'The connection was lost (the gateway stopped answering); trying again.',
      urgency: 'normal',
    });
    expect(notificationFor(tunnel(failed, connecting), profiles)).toEqual({
      title: 'VPN connection failed',
      body: 'Authentication failed: the gateway refused the pre-shared key\nCheck the pre-shared key in the profile.',
      urgency: 'critical',
    });
  });

  it('a tunnel started elsewhere (CLI) is named by the helper', () => {
    expect(
      notificationFor(tunnel({ ...up, profile: 'Lab' }, connecting, null), profiles),
    ).toMatchObject({ title: 'Connected to Lab' });
  });

  it('says nothing for steps the user just asked for, or repeats', () => {
    expect(notificationFor(tunnel(connecting, down), profiles)).toBeUndefined();
    expect(notificationFor(tunnel(down, down), profiles)).toBeUndefined();
    expect(notificationFor(tunnel(down, failed), profiles)).toBeUndefined();
    expect(notificationFor(tunnel(up, up), profiles)).toBeUndefined();
    expect(notificationFor(tunnel(reconnecting(2), reconnecting(1)), profiles)).toBeUndefined();
  });

  it('auto-connect and auto-disconnect carry the reason; a failed connect its fix', () => {
    expect(
      notificationFor(
        { type: 'auto-connect', profileId: 'office', reason: 'Open Wi-Fi "Cafe"' },
        profiles,
      ),
    ).toEqual({
      title: 'Connecting to Office',
      body: 'Open Wi-Fi "Cafe"',
      urgency: 'normal',
    });
    expect(
      notificationFor({ type: 'auto-disconnect', reason: 'Trusted network "Home"' }, profiles),
    ).toMatchObject({
      body: 'Trusted network "Home"',
    });
    expect(
      notificationFor(
        {
          type: 'connect-failed',
          profileId: 'office',
          message: 'The Tsunagi service is not running',
          fix: 'Start it: sudo systemctl enable --now tsunagi-helper',
        },
        profiles,
      ),
    ).toEqual({
      title: 'Could not connect to Office',
      body: 'The Tsunagi service is not running\nStart it: sudo systemctl enable --now tsunagi-helper',
      urgency: 'critical',
    });
  });
});

describe('NotificationController', () => {
  it('shows, de-duplicates within the window, shows again after it, obeys the setting', () => {
    let now = 0;
    let enabled = true;
    const shown: NotificationContent[] = [];
    const controller = new NotificationController({
      enabled: () => enabled,
      profiles: () => profiles,
      now: () => now,
      dedupeMs: 10_000,
      show: (c) => shown.push(c),
    });
    controller.handle(tunnel(failed, connecting));
    now = 5_000;
    expect(controller.handle(tunnel(failed, connecting))).toBeUndefined();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: 'VPN connection failed', urgency: 'critical' });
    // A different event is not a duplicate.
    controller.handle(tunnel(up, connecting));
    expect(shown).toHaveLength(2);
    now = 10_001;
    controller.handle(tunnel(failed, connecting));
    expect(shown).toHaveLength(3);
    enabled = false;
    now = 100_000;
    expect(controller.handle(tunnel(down, up))).toBeUndefined();
    expect(shown).toHaveLength(3);
  });
});
