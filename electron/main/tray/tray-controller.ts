// The tray icon: built from tray-model.ts's pure functions, rebuilt whenever the tunnel state,
// the profiles or the settings change (and once a minute while connected, for the uptime).

import path from 'node:path';
import { Menu, nativeTheme, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import type { AppSettings, ProfileSummary, TunnelState } from '../../shared/ipc-schema.js';
import {
  trayIcon,
  trayMenu,
  trayTooltip,
  type TrayAction,
  type TrayCapabilities,
  type TrayMenuItem,
} from './tray-model.js';

export interface TrayInputs {
  readonly state: TunnelState;
  readonly profiles: readonly ProfileSummary[];
  readonly settings: AppSettings;
  readonly capabilities: TrayCapabilities;
}

export function toMenuTemplate(
  items: readonly TrayMenuItem[],
  onAction: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.kind === 'separator') return { type: 'separator' };
    const action = item.action;
    return {
      label: item.label,
      enabled: item.enabled,
      ...(item.checked !== undefined ? { type: 'checkbox', checked: item.checked } : {}),
      ...(item.note !== undefined && !item.enabled
        ? { sublabel: item.note, toolTip: item.note }
        : {}),
      ...(action ? { click: () => onAction(action) } : {}),
    };
  });
}

export class TrayController {
  private readonly tray: Tray;
  private inputs: TrayInputs;

  constructor(
    private readonly iconDir: string,
    inputs: TrayInputs,
    private readonly onAction: (action: TrayAction) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.inputs = inputs;
    this.tray = new Tray(this.iconPath());
    this.tray.on('click', () => onAction({ type: 'open-window' }));
    nativeTheme.on('updated', () => this.render());
    this.render();
  }

  update(change: Partial<TrayInputs>): void {
    this.inputs = { ...this.inputs, ...change };
    this.render();
  }

  dispose(): void {
    this.tray.destroy();
  }

  private iconPath(): string {
    // The panel's colour is not exposed by Electron; the system dark mode is the best proxy.
    const theme = nativeTheme.shouldUseDarkColors ? 'dark' : 'light';
    return path.join(this.iconDir, trayIcon(this.inputs.state, theme));
  }

  private render(): void {
    const { state, profiles, settings, capabilities } = this.inputs;
    const now = this.now();
    this.tray.setImage(this.iconPath());
    this.tray.setToolTip(trayTooltip(state, profiles, now));
    const items = trayMenu(state, profiles, settings, capabilities, now);
    this.tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(items, this.onAction)));
  }
}
