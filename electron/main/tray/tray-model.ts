// What the tray shows, as pure functions of the state main already holds: the icon, the tooltip
// and the menu. tray-controller.ts turns them into Electron objects; tests check them per state.
// They read the same ConnectionSnapshot the window gets (with main's expected next state in it),
// so the tray and the window always agree.

import { assertNever } from '../../shared/assert-never.js';
import type {
  AppSettings,
  ConnectionSnapshot,
  ProfileSummary,
  TunnelState,
} from '../../shared/ipc-schema.js';

/**
 * The tray's states. `blocked`: there is no tunnel and the firewall blocks traffic (lockdown, the
 * kill switch after a failure, or rules left in the kernel by a helper that went away): the user
 * has no network, and the tray says so as the window does (blockingNotice in the renderer).
 */
export type TrayStatus = 'disconnected' | 'connecting' | 'connected' | 'error' | 'blocked';
/** The colour of the panel the icon sits on (a dark panel needs a light glyph). */
export type PanelTheme = 'light' | 'dark';

/** No tunnel carries traffic, yet the firewall blocks it. */
export function isBlockedWithoutTunnel(connection: ConnectionSnapshot): boolean {
  const state = connection.tunnel;
  return state.blocking && (state.state === 'disconnected' || state.state === 'error');
}

export function trayStatus(connection: ConnectionSnapshot): TrayStatus {
  if (isBlockedWithoutTunnel(connection)) return 'blocked';
  // Without the service nothing can protect the traffic: that is an error to see at a glance.
  if (connection.helper.status === 'unavailable') return 'error';
  const state = connection.tunnel;
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
export function trayIcon(connection: ConnectionSnapshot, theme: PanelTheme): string {
  return `tray-${trayStatus(connection)}-${theme}.png`;
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

/** "Office (vpn.example.com)" for an app profile, else the helper's profile name. */
function nameOf(connection: ConnectionSnapshot, profiles: readonly ProfileSummary[]): string {
  const profile = profiles.find((p) => p.id === connection.profileId);
  if (profile) return `${profile.name} (${profile.server})`;
  const state: TunnelState = connection.tunnel;
  return 'profile' in state && state.profile !== '' ? state.profile : 'the VPN';
}

export function trayTooltip(
  connection: ConnectionSnapshot,
  profiles: readonly ProfileSummary[],
  now: number,
): string {
  const text = tooltipText(connection, profiles, now);
  if (!isBlockedWithoutTunnel(connection)) return text;
  const state = connection.tunnel;
  if (connection.helper.status === 'unavailable')
    return `${text} — traffic outside the VPN stays blocked`;
  return state.state === 'disconnected'
    ? `${text} — lockdown blocks all traffic outside the VPN`
    : `${text} — the kill switch blocks your traffic`;
}

function tooltipText(
  connection: ConnectionSnapshot,
  profiles: readonly ProfileSummary[],
  now: number,
): string {
  if (connection.helper.status === 'unavailable') return `Tsunagi: ${connection.helper.reason}`;
  const state = connection.tunnel;
  switch (state.state) {
    case 'disconnected':
      return 'Tsunagi: disconnected';
    case 'connecting':
      return `Tsunagi: connecting to ${nameOf(connection, profiles)}…`;
    case 'connected':
      return `Tsunagi: connected to ${nameOf(connection, profiles)} for ${formatUptime(now - state.since)}`;
    case 'reconnecting':
      return `Tsunagi: reconnecting to ${nameOf(connection, profiles)} (attempt ${state.attempt})…`;
    case 'disconnecting':
      return `Tsunagi: disconnecting from ${nameOf(connection, profiles)}…`;
    case 'error':
      return `Tsunagi: ${state.message}`;
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

export function trayMenu(
  connection: ConnectionSnapshot,
  profiles: readonly ProfileSummary[],
  settings: AppSettings,
  now: number,
): TrayMenuItem[] {
  const state = connection.tunnel;
  const items: TrayMenuItem[] = [
    {
      kind: 'item',
      label: trayTooltip(connection, profiles, now).replace(/^Tsunagi: /, ''),
      enabled: false,
    },
    { kind: 'separator' },
  ];
  const helper = connection.helper;
  const tunnelControl = helper.status === 'ready';
  const why =
    helper.status === 'unavailable'
      ? `${helper.fix}`
      : helper.status === 'connecting'
        ? 'Reaching the Tsunagi service…'
        : undefined;
  const busy = state.state !== 'disconnected' && state.state !== 'error';
  const activeId = connection.profileId;

  if (profiles.length === 0) {
    items.push({ kind: 'item', label: 'No profiles yet', enabled: false });
  }
  for (const profile of profiles) {
    const active = busy && activeId === profile.id;
    items.push({
      kind: 'item',
      label: active ? `${profile.name} ✓` : `Connect ${profile.name}`,
      enabled: tunnelControl && !busy,
      action: { type: 'connect', profileId: profile.id },
      ...(why ? { note: why } : {}),
    });
  }
  items.push({
    kind: 'item',
    label: 'Disconnect',
    // in error too: disconnecting clears the error (and the kill switch's block with it)
    enabled: tunnelControl && state.state !== 'disconnected' && state.state !== 'disconnecting',
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
