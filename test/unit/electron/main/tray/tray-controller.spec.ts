import { beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

import { TrayController } from '../../../../../electron/main/tray/tray-controller.js';
import type { TrayAction } from '../../../../../electron/main/tray/tray-model.js';
import { DEFAULT_SETTINGS } from '../../../../../electron/shared/settings-schema.js';
import type {
  ConnectionSnapshot,
  ProfileSummary,
  TunnelState,
} from '../../../../../electron/shared/ipc-schema.js';
import { ZERO_STATS } from '../../../../../electron/main/tunnel/tunnel-controller.js';

const profiles: ProfileSummary[] = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' },
];

const at = { profile: 'Office', server: 'vpn.example.com', gateway: '203.0.113.5', blocking: true };
function snap(tunnel: TunnelState, profileId: string | null = 'office'): ConnectionSnapshot {
  return {
    helper: { status: 'ready', helperVersion: '0.1.0' },
    tunnel,
    profileId,
    stats: ZERO_STATS,
    timeline: [],
  };
}
const IDLE = snap({ state: 'disconnected', reason: 'not-started', blocking: false }, null);

beforeEach(() => fakeElectron.reset());

function start(now = 1_000_000) {
  const actions: TrayAction[] = [];
  const controller = new TrayController(
    '/opt/tsunagi/assets/tray',
    {
      connection: IDLE,
      profiles,
      settings: DEFAULT_SETTINGS,
    },
    (a) => actions.push(a),
    () => now,
  );
  const tray = fakeElectron.trays[0]!;
  return { controller, tray, actions };
}

describe('TrayController', () => {
  it('shows the disconnected icon, tooltip and menu', () => {
    const { tray } = start();
    expect(tray.image).toBe('/opt/tsunagi/assets/tray/tray-disconnected-light.png');
    expect(tray.toolTip).toBe('Tsunagi: disconnected');
    expect(tray.menu?.labels()).toEqual([
      'disconnected',
      '---',
      'Connect Office',
      'Disconnect',
      '---',
      'Kill switch',
      '---',
      'Open Tsunagi',
      'Quit',
    ]);
  });

  it('follows each state', () => {
    const { controller, tray } = start(61_000);
    controller.update({ connection: snap({ state: 'connecting', ...at, since: 0 }) });
    expect(tray.image).toMatch(/tray-connecting-light\.png$/);
    controller.update({
      connection: snap({
        state: 'connected',
        ...at,
        virtualIp: '10.0.0.2',
        dns: [],
        tun: 'tsunagi0',
        ike: '',
        esp: '',
        routes: [],
        since: 1_000,
      }),
    });
    expect(tray.image).toMatch(/tray-connected-light\.png$/);
    expect(tray.toolTip).toBe('Tsunagi: connected to Office (vpn.example.com) for 1 min');
    controller.update({
      connection: snap({
        state: 'error',
        code: 'x',
        message: 'DNS lookup of vpn.example.com failed',
        fix: 'Check the name',
        blocking: true,
      }),
    });
    // failed with the kill switch on: no tunnel and nothing gets out, as the window says
    expect(tray.image).toMatch(/tray-blocked-light\.png$/);
    expect(tray.toolTip).toBe(
      'Tsunagi: DNS lookup of vpn.example.com failed — the kill switch blocks your traffic',
    );
  });

  it('switches to the dark icons when the system goes dark', () => {
    const { tray } = start();
    fakeElectron.nativeTheme.setDark(true);
    expect(tray.image).toMatch(/tray-disconnected-dark\.png$/);
  });

  it('menu clicks become actions; disabled items do nothing', () => {
    const { controller, tray, actions } = start();
    tray.menu!.click('Connect Office');
    tray.menu!.click('Disconnect');
    tray.menu!.click('Kill switch');
    tray.menu!.click('Open Tsunagi');
    tray.menu!.click('Quit');
    expect(actions).toEqual([
      { type: 'connect', profileId: 'office' },
      { type: 'set-kill-switch', enabled: false },
      { type: 'open-window' },
      { type: 'quit' },
    ]);
    controller.update({ settings: { ...DEFAULT_SETTINGS, killSwitch: false } });
    expect(tray.menu!.item('Kill switch')).toMatchObject({ type: 'checkbox', checked: false });
  });

  it('shows the reason on items that cannot work yet', () => {
    const { controller, tray, actions } = start();
    controller.update({
      connection: {
        ...IDLE,
        helper: {
          status: 'unavailable',
          reason: 'The Tsunagi service is not running',
          fix: 'Start it: sudo systemctl enable --now tsunagi-helper',
        },
      },
    });
    expect(tray.image).toMatch(/tray-error-light\.png$/);
    expect(tray.menu!.item('Connect Office')).toMatchObject({
      enabled: false,
      sublabel: 'Start it: sudo systemctl enable --now tsunagi-helper',
    });
    tray.menu!.click('Connect Office');
    expect(actions).toEqual([]);
  });

  it('a click on the icon opens the window; dispose destroys it', () => {
    const { controller, tray, actions } = start();
    tray.emit('click');
    expect(actions).toEqual([{ type: 'open-window' }]);
    controller.dispose();
    expect(tray.isDestroyed()).toBe(true);
  });
});
