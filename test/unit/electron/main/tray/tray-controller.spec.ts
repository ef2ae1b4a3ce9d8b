import { beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

import { TrayController } from '../../../../../electron/main/tray/tray-controller.js';
import type { TrayAction } from '../../../../../electron/main/tray/tray-model.js';
import { DEFAULT_SETTINGS } from '../../../../../electron/shared/settings-schema.js';
import type { ProfileSummary } from '../../../../../electron/shared/ipc-schema.js';

const profiles: ProfileSummary[] = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' },
];

beforeEach(() => fakeElectron.reset());

function start(now = 1_000_000) {
  const actions: TrayAction[] = [];
  const controller = new TrayController(
    '/opt/tsunagi/assets/tray',
    {
      state: { state: 'disconnected' },
      profiles,
      settings: DEFAULT_SETTINGS,
      capabilities: { tunnelControl: true },
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
    controller.update({ state: { state: 'connecting', profileId: 'office' } });
    expect(tray.image).toMatch(/tray-connecting-light\.png$/);
    controller.update({ state: { state: 'connected', profileId: 'office', since: 1_000 } });
    expect(tray.image).toMatch(/tray-connected-light\.png$/);
    expect(tray.toolTip).toBe('Tsunagi: connected to Office (vpn.example.com) for 1 min');
    controller.update({
      state: {
        state: 'error',
        cause: { code: 'x', message: 'DNS lookup of vpn.example.com failed' },
      },
    });
    expect(tray.image).toMatch(/tray-error-light\.png$/);
    expect(tray.toolTip).toBe('Tsunagi: DNS lookup of vpn.example.com failed');
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
      capabilities: {
        tunnelControl: false,
        tunnelControlUnavailable: 'Waiting for the Tsunagi service',
      },
    });
    expect(tray.menu!.item('Connect Office')).toMatchObject({
      enabled: false,
      sublabel: 'Waiting for the Tsunagi service',
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
