// The tray icon: built from tray-model.ts's pure functions, rebuilt whenever the tunnel state,
// the profiles or the settings change (and once a minute while connected, for the uptime).

import path from 'node:path';
import { Menu, nativeTheme, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import type { AppSettings, ConnectionSnapshot, ProfileSummary } from '../../shared/ipc-schema.js';
import {
  trayIcon,
  trayMenu,
  trayTooltip,
  type TrayAction,
  type TrayMenuItem,
} from './tray-model.js';

export interface TrayInputs {
  readonly connection: ConnectionSnapshot;
  readonly profiles: readonly ProfileSummary[];
  readonly settings: AppSettings;
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
  private readonly uptimeTimer: ReturnType<typeof setInterval>;

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
    this.uptimeTimer = setInterval(() => {
      if (this.inputs.connection.tunnel.state === 'connected') this.render();
    }, 60_000);
    this.uptimeTimer.unref?.();
  }

  update(change: Partial<TrayInputs>): void {
    this.inputs = { ...this.inputs, ...change };
    this.render();
  }

  dispose(): void {
    clearInterval(this.uptimeTimer);
    this.tray.destroy();
  }

  private iconPath(): string {
    // The panel's colour is not exposed by Electron; the system dark mode is the best proxy.
    const theme = nativeTheme.shouldUseDarkColors ? 'dark' : 'light';
    return path.join(this.iconDir, trayIcon(this.inputs.connection, theme));
  }

  private render(): void {
    const { connection, profiles, settings } = this.inputs;
    const now = this.now();
    this.tray.setImage(this.iconPath());
    this.tray.setToolTip(trayTooltip(connection, profiles, now));
    const items = trayMenu(connection, profiles, settings, now);
    this.tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(items, this.onAction)));
  }
}
