// Desktop notifications for what the user did not just do themselves: the tunnel coming up, going
// down, reconnecting, failing (with the diagnosis) and trusted-network actions. De-duplicated: the
// same notification within `dedupeMs` is shown once (a flapping link must not spam). Off when the
// user turns notifications off. (Mullvad's notification-controller, simplified.) Plain Node: the
// Electron Notification is injected by main-process.ts, so the UI-test bridge runs this too.

import { assertNever } from '../../shared/assert-never.js';
import type { ProfileSummary, TunnelState } from '../../shared/ipc-schema.js';

export interface NotificationContent {
  readonly title: string;
  readonly body: string;
  /** Errors stay until dismissed; the rest may time out. */
  readonly urgency: 'normal' | 'critical';
}

export type AppEvent =
  | {
      readonly type: 'tunnel';
      readonly state: TunnelState;
      readonly previous: TunnelState;
      /** The app profile of the tunnel, when it is one of the user's. */
      readonly profileId: string | null;
    }
  | { readonly type: 'auto-connect'; readonly profileId: string; readonly reason: string }
  | {
      readonly type: 'connect-failed';
      readonly profileId: string;
      readonly message: string;
      readonly fix: string;
    }
  | { readonly type: 'auto-disconnect'; readonly reason: string };

/** The app profile's name, else the name the helper reports, else "the VPN". */
function profileName(
  id: string | null,
  profiles: readonly ProfileSummary[],
  state?: TunnelState,
): string {
  const known = id === null ? undefined : profiles.find((p) => p.id === id)?.name;
  if (known) return known;
  if (state && 'profile' in state && state.profile !== '') return state.profile;
  return id ?? 'the VPN';
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
    case 'connect-failed':
      return {
        title: `Could not connect to ${profileName(event.profileId, profiles)}`,
        body: `${event.message}\n${event.fix}`,
        urgency: 'critical',
      };
    case 'auto-disconnect':
      return { title: 'Disconnecting the VPN', body: event.reason, urgency: 'normal' };
    case 'tunnel':
      return tunnelNotification(event.state, event.previous, event.profileId, profiles);
    default:
      return assertNever(event);
  }
}

function tunnelNotification(
  state: TunnelState,
  previous: TunnelState,
  profileId: string | null,
  profiles: readonly ProfileSummary[],
): NotificationContent | undefined {
  if (state.state === previous.state && state.state !== 'error') return undefined;
  switch (state.state) {
    case 'connected':
      return {
        title: `Connected to ${profileName(profileId, profiles, state)}`,
        body: 'Your traffic goes through the VPN.',
        urgency: 'normal',
      };
    case 'disconnected':
      // Only worth telling when a tunnel was actually up or coming up.
      // (after an error the user cleared it themselves: nothing new to tell)
      if (previous.state === 'disconnected' || previous.state === 'error') return undefined;
      return {
        title: 'Disconnected',
        body: 'Your traffic no longer goes through the VPN.',
        urgency: 'normal',
      };
    case 'reconnecting':
      // One notification for the first attempt; later attempts are in the window and tray.
      if (previous.state === 'reconnecting') return undefined;
      return {
        title: `Reconnecting to ${profileName(profileId, profiles, state)}`,
        body: `The connection was lost (${state.reason}); trying again.`,
        urgency: 'normal',
      };
    case 'error':
      return {
        title: 'VPN connection failed',
        body: `${state.message}\n${state.fix}`,
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
      /** Shows one (Electron's Notification in the app; a list in tests and the UI bridge). */
      readonly show: (content: NotificationContent) => void;
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
    this.options.show(content);
    return content;
  }
}
