// Desktop notifications for what the user did not just do themselves: the tunnel coming up, going
// down, reconnecting, failing (with the diagnosis) and trusted-network actions. De-duplicated: the
// same notification within `dedupeMs` is shown once (a flapping link must not spam). Off when the
// user turns notifications off. (Mullvad's notification-controller, simplified.)

import { Notification } from 'electron';
import { assertNever } from '../../shared/assert-never.js';
import type { ProfileSummary, TunnelState } from '../../shared/ipc-schema.js';

export interface NotificationContent {
  readonly title: string;
  readonly body: string;
  /** Errors stay until dismissed; the rest may time out. */
  readonly urgency: 'normal' | 'critical';
}

export type AppEvent =
  | { readonly type: 'tunnel'; readonly state: TunnelState; readonly previous: TunnelState }
  | { readonly type: 'auto-connect'; readonly profileId: string; readonly reason: string }
  | { readonly type: 'auto-disconnect'; readonly reason: string };

function profileName(id: string | undefined, profiles: readonly ProfileSummary[]): string {
  if (id === undefined) return 'the VPN';
  return profiles.find((p) => p.id === id)?.name ?? id;
}

/** Pure: what to show for an event, or undefined for nothing. */
export function notificationFor(
  event: AppEvent,
  profiles: readonly ProfileSummary[],
): NotificationContent | undefined {
  switch (event.type) {
    case 'auto-connect':
      return {
        title: `Connecting to ${profileName(event.profileId, profiles)}`,
        body: event.reason,
        urgency: 'normal',
      };
    case 'auto-disconnect':
      return { title: 'Disconnecting the VPN', body: event.reason, urgency: 'normal' };
    case 'tunnel':
      return tunnelNotification(event.state, event.previous, profiles);
    default:
      return assertNever(event);
  }
}

function tunnelNotification(
  state: TunnelState,
  previous: TunnelState,
  profiles: readonly ProfileSummary[],
): NotificationContent | undefined {
  if (state.state === previous.state && state.state !== 'error') return undefined;
  switch (state.state) {
    case 'connected':
      return {
        title: `Connected to ${profileName(state.profileId, profiles)}`,
        body: 'Your traffic goes through the VPN.',
        urgency: 'normal',
      };
    case 'disconnected':
      // Only worth telling when a tunnel was actually up or coming up.
      if (previous.state === 'disconnected') return undefined;
      return {
        title: 'Disconnected',
        body: 'Your traffic no longer goes through the VPN.',
        urgency: 'normal',
      };
    case 'reconnecting':
      // One notification for the first attempt; later attempts are in the window and tray.
      if (previous.state === 'reconnecting') return undefined;
      return {
        title: `Reconnecting to ${profileName(state.profileId, profiles)}`,
        body: 'The connection was lost; trying again.',
        urgency: 'normal',
      };
    case 'error':
      return {
        title: 'VPN connection failed',
        body: state.cause.message,
        urgency: 'critical',
      };
    case 'connecting':
    case 'disconnecting':
      // The user just asked for these (or an auto-connect already said so).
      return undefined;
    default:
      return assertNever(state);
  }
}

/** Shows notifications; `show` is injectable (the default uses Electron's Notification). */
export class NotificationController {
  private readonly lastShown = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly enabled: () => boolean;
      readonly profiles: () => readonly ProfileSummary[];
      readonly now?: () => number;
      readonly dedupeMs?: number;
      readonly show?: (content: NotificationContent) => void;
    },
  ) {}

  /** Returns what was shown, if anything (for logs and tests). */
  handle(event: AppEvent): NotificationContent | undefined {
    if (!this.options.enabled()) return undefined;
    const content = notificationFor(event, this.options.profiles());
    if (!content) return undefined;
    const now = (this.options.now ?? Date.now)();
    const key = `${content.title}\u0000${content.body}`;
    const last = this.lastShown.get(key);
    if (last !== undefined && now - last < (this.options.dedupeMs ?? 10_000)) return undefined;
    this.lastShown.set(key, now);
    for (const [k, at] of this.lastShown) {
      if (now - at > 60 * 60_000) this.lastShown.delete(k);
    }
    (this.options.show ?? showWithElectron)(content);
    return content;
  }
}

function showWithElectron(content: NotificationContent): void {
  if (!Notification.isSupported()) return;
  new Notification({
    title: content.title,
    body: content.body,
    urgency: content.urgency,
    silent: content.urgency !== 'critical',
  }).show();
}
