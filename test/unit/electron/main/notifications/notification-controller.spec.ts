import { beforeEach, describe, expect, it, vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

import {
  NotificationController,
  notificationFor,
  type AppEvent,
} from '../../../../../electron/main/notifications/notification-controller.js';
import type { ProfileSummary, TunnelState } from '../../../../../electron/shared/ipc-schema.js';

const profiles: ProfileSummary[] = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' },
];
const tunnel = (state: TunnelState, previous: TunnelState): AppEvent => ({
  type: 'tunnel',
  state,
  previous,
});
const down: TunnelState = { state: 'disconnected' };
const up: TunnelState = { state: 'connected', profileId: 'office', since: 0 };
const connecting: TunnelState = { state: 'connecting', profileId: 'office' };
const failed: TunnelState = {
  state: 'error',
  profileId: 'office',
  cause: {
    code: 'auth-failed',
    message: 'Authentication failed: the gateway refused the pre-shared key',
  },
};

beforeEach(() => fakeElectron.reset());

describe('notificationFor', () => {
  it('connected, disconnected, reconnecting, error with its diagnosis', () => {
    expect(notificationFor(tunnel(up, connecting), profiles)).toMatchObject({
      title: 'Connected to Office',
    });
    expect(notificationFor(tunnel(down, up), profiles)).toMatchObject({ title: 'Disconnected' });
    expect(
      notificationFor(
        tunnel({ state: 'reconnecting', profileId: 'office', attempt: 1 }, up),
        profiles,
      ),
    ).toMatchObject({
      title: 'Reconnecting to Office',
    });
    expect(notificationFor(tunnel(failed, connecting), profiles)).toEqual({
      title: 'VPN connection failed',
      body: 'Authentication failed: the gateway refused the pre-shared key',
      urgency: 'critical',
    });
  });

  it('says nothing for steps the user just asked for, or repeats', () => {
    expect(notificationFor(tunnel(connecting, down), profiles)).toBeUndefined();
    expect(notificationFor(tunnel(down, down), profiles)).toBeUndefined();
    expect(notificationFor(tunnel(up, up), profiles)).toBeUndefined();
    const r2: TunnelState = { state: 'reconnecting', profileId: 'office', attempt: 2 };
    expect(notificationFor(tunnel(r2, { ...r2, attempt: 1 }), profiles)).toBeUndefined();
  });

  it('auto-connect and auto-disconnect carry the reason', () => {
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
  });
});

describe('NotificationController', () => {
  it('shows through Electron, de-duplicates within the window, shows again after it', () => {
    let now = 0;
    let enabled = true;
    const controller = new NotificationController({
      enabled: () => enabled,
      profiles: () => profiles,
      now: () => now,
      dedupeMs: 10_000,
    });
    controller.handle(tunnel(failed, connecting));
    now = 5_000;
    expect(controller.handle(tunnel(failed, connecting))).toBeUndefined();
    expect(fakeElectron.notifications).toHaveLength(1);
    expect(fakeElectron.notifications[0]).toMatchObject({
      title: 'VPN connection failed',
      urgency: 'critical',
      silent: false,
    });
    // A different event is not a duplicate.
    controller.handle(tunnel(up, connecting));
    expect(fakeElectron.notifications).toHaveLength(2);
    now = 10_001;
    controller.handle(tunnel(failed, connecting));
    expect(fakeElectron.notifications).toHaveLength(3);
    enabled = false;
    now = 100_000;
    expect(controller.handle(tunnel(down, up))).toBeUndefined();
    expect(fakeElectron.notifications).toHaveLength(3);
  });

  it('does nothing where the system has no notifications', () => {
    fakeElectron.module.Notification.supported = false;
    const controller = new NotificationController({
      enabled: () => true,
      profiles: () => profiles,
    });
    expect(controller.handle(tunnel(up, connecting))).toBeDefined();
    expect(fakeElectron.notifications).toHaveLength(0);
  });
});
