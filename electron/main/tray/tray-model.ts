// What the tray shows, as pure functions of the state main already holds: the icon, the tooltip
// and the menu. tray-controller.ts turns them into Electron objects; tests check them per state.

import { assertNever } from '../../shared/assert-never.js';
import type { AppSettings, ProfileSummary, TunnelState } from '../../shared/ipc-schema.js';

export type TrayStatus = 'disconnected' | 'connecting' | 'connected' | 'error';
/** The colour of the panel the icon sits on (a dark panel needs a light glyph). */
export type PanelTheme = 'light' | 'dark';

export function trayStatus(state: TunnelState): TrayStatus {
  switch (state.state) {
    case 'disconnected':
      return 'disconnected';
    case 'connecting':
    case 'reconnecting':
    case 'disconnecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'error':
      return 'error';
    default:
      return assertNever(state);
  }
}

/** The icon file under assets/tray/ (Electron picks the @2x sibling on HiDPI screens). */
export function trayIcon(state: TunnelState, theme: PanelTheme): string {
  return `tray-${trayStatus(state)}-${theme}.png`;
}

/** "42 s", "5 min", "1 h 02 min", "2 d 3 h". */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function profileOf(state: TunnelState, profiles: readonly ProfileSummary[]) {
  const id = 'profileId' in state ? state.profileId : undefined;
  return id === undefined ? undefined : profiles.find((p) => p.id === id);
}

function nameOf(state: TunnelState, profiles: readonly ProfileSummary[]): string {
  const profile = profileOf(state, profiles);
  if (profile) return `${profile.name} (${profile.server})`;
  return 'profileId' in state && state.profileId !== undefined ? state.profileId : 'the VPN';
}

export function trayTooltip(
  state: TunnelState,
  profiles: readonly ProfileSummary[],
  now: number,
): string {
  switch (state.state) {
    case 'disconnected':
      return 'Tsunagi: disconnected';
    case 'connecting':
      return `Tsunagi: connecting to ${nameOf(state, profiles)}…`;
    case 'connected':
      return `Tsunagi: connected to ${nameOf(state, profiles)} for ${formatUptime(now - state.since)}`;
    case 'reconnecting':
      return `Tsunagi: reconnecting to ${nameOf(state, profiles)} (attempt ${state.attempt})…`;
    case 'disconnecting':
      return `Tsunagi: disconnecting from ${nameOf(state, profiles)}…`;
    case 'error':
      return `Tsunagi: ${state.cause.message}`;
    default:
      return assertNever(state);
  }
}

export type TrayAction =
  | { readonly type: 'connect'; readonly profileId: string }
  | { readonly type: 'disconnect' }
  | { readonly type: 'set-kill-switch'; readonly enabled: boolean }
  | { readonly type: 'open-window' }
  | { readonly type: 'quit' };

export type TrayMenuItem =
  | { readonly kind: 'separator' }
  | {
      readonly kind: 'item';
      readonly label: string;
      readonly enabled: boolean;
      /** For check boxes; undefined for plain items. */
      readonly checked?: boolean;
      readonly action?: TrayAction;
      /** When disabled, why (shown as the item's sublabel / tooltip). */
      readonly note?: string;
    };

export interface TrayCapabilities {
  /** Whether connect/disconnect can reach the helper (false until the daemon is wired in). */
  readonly tunnelControl: boolean;
  readonly tunnelControlUnavailable?: string;
}

export function trayMenu(
  state: TunnelState,
  profiles: readonly ProfileSummary[],
  settings: AppSettings,
  capabilities: TrayCapabilities,
  now: number,
): TrayMenuItem[] {
  const items: TrayMenuItem[] = [
    {
      kind: 'item',
      label: trayTooltip(state, profiles, now).replace(/^Tsunagi: /, ''),
      enabled: false,
    },
    { kind: 'separator' },
  ];
  const why = capabilities.tunnelControl
    ? undefined
    : (capabilities.tunnelControlUnavailable ?? 'The Tsunagi service is not running');
  const busy = state.state !== 'disconnected' && state.state !== 'error';
  const activeId = 'profileId' in state ? state.profileId : undefined;

  if (profiles.length === 0) {
    items.push({ kind: 'item', label: 'No profiles yet', enabled: false });
  }
  for (const profile of profiles) {
    const active = busy && activeId === profile.id;
    items.push({
      kind: 'item',
      label: active ? `${profile.name} ✓` : `Connect ${profile.name}`,
      enabled: capabilities.tunnelControl && !busy,
      action: { type: 'connect', profileId: profile.id },
      ...(why ? { note: why } : {}),
    });
  }
  items.push({
    kind: 'item',
    label: 'Disconnect',
    enabled: capabilities.tunnelControl && busy && state.state !== 'disconnecting',
    action: { type: 'disconnect' },
    ...(why ? { note: why } : {}),
  });
  items.push({ kind: 'separator' });
  items.push({
    kind: 'item',
    label: 'Kill switch',
    enabled: true,
    checked: settings.killSwitch,
    action: { type: 'set-kill-switch', enabled: !settings.killSwitch },
  });
  items.push({ kind: 'separator' });
  items.push({
    kind: 'item',
    label: 'Open Tsunagi',
    enabled: true,
    action: { type: 'open-window' },
  });
  items.push({ kind: 'item', label: 'Quit', enabled: true, action: { type: 'quit' } });
  return items;
}
