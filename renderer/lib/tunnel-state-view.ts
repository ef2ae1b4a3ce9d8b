// How a tunnel state looks: pure functions of the state as received, so the header, the
// connection view (and later the tray) always say the same thing.

import { assertNever } from '../../electron/shared/assert-never';
import type {
  ConnectionSnapshot,
  HelperLink,
  ProfileSummary,
  TimelineKind,
  TunnelState,
} from '../../electron/shared/ipc-schema';

/** Colour family of a state; the stylesheet maps each tone to its colours (data-tone). */
export type StatusTone = 'neutral' | 'progress' | 'success' | 'danger';

export function tunnelStateLabel(state: TunnelState): string {
  switch (state.state) {
    case 'disconnected':
      return 'Disconnected';
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'disconnecting':
      return 'Disconnecting…';
    case 'error':
      return 'Connection failed';
    default:
      return assertNever(state);
  }
}

export function tunnelStateTone(state: TunnelState): StatusTone {
  switch (state.state) {
    case 'disconnected':
      return 'neutral';
    case 'connecting':
    case 'reconnecting':
    case 'disconnecting':
      return 'progress';
    case 'connected':
      return 'success';
    case 'error':
      return 'danger';
    default:
      return assertNever(state);
  }
}

/**
 * The name to show for the tunnel's profile: the app profile main matched it to, else the name
 * the helper knows (a tunnel started from the CLI has no app profile).
 */
export function tunnelProfileName(
  snapshot: Pick<ConnectionSnapshot, 'tunnel' | 'profileId'>,
  profiles: readonly ProfileSummary[],
): string | undefined {
  const own = profiles.find((p) => p.id === snapshot.profileId)?.name;
  if (own !== undefined) return own;
  return 'profile' in snapshot.tunnel ? snapshot.tunnel.profile : undefined;
}

/**
 * The helper's `disconnected` reason, when it is news to the user: `peer` (the gateway ended the
 * connection). `not-started` and `user` (the user's own disconnect) need no sentence.
 */
function disconnectReason(reason: string): string | undefined {
  return reason === 'peer' ? 'The gateway closed the connection.' : undefined;
}

/** One sentence under the label: what the state means for the user's traffic. */
export function tunnelStateDetail(state: TunnelState, profileName: string | undefined): string {
  const name = profileName ?? 'the VPN';
  switch (state.state) {
    case 'disconnected': {
      const why = disconnectReason(state.reason);
      const traffic = state.blocking
        ? 'Lockdown is on: traffic outside the VPN is blocked.'
        : 'Your traffic uses your regular network.';
      return why ? `${why} ${traffic}` : `Not connected. ${traffic}`;
    }
    case 'connecting':
      return `Connecting to ${name} (${state.server}).`;
    case 'connected':
      return `Your traffic goes through ${name} (${state.server}).`;
    case 'reconnecting':
      return `Reconnecting to ${name}, attempt ${state.attempt}: ${stripStop(state.reason)}.`;
    case 'disconnecting':
      return `Disconnecting from ${name}.`;
    case 'error':
      return state.message;
    default:
      return assertNever(state);
  }
}

function stripStop(text: string): string {
  return text.replace(/\.\s*$/, '');
}

/** The header's one word: the helper link comes first, since nothing works without it. */
export function connectionStatus(snapshot: ConnectionSnapshot): {
  label: string;
  tone: StatusTone;
} {
  if (snapshot.helper.status === 'unavailable') {
    return { label: 'Service unavailable', tone: 'danger' };
  }
  return { label: tunnelStateLabel(snapshot.tunnel), tone: tunnelStateTone(snapshot.tunnel) };
}

/** What the kill switch is doing right now, or undefined when nothing is blocked. */
export function blockingNotice(state: TunnelState): string | undefined {
  if (!state.blocking) return undefined;
  switch (state.state) {
    case 'disconnected':
      return 'Lockdown is on: all traffic outside the VPN is blocked until you connect or turn lockdown off in Settings.';
    case 'connecting':
    case 'reconnecting':
      return 'Kill switch on: traffic is blocked until the tunnel is up.';
    case 'connected':
      return 'Kill switch on: only traffic through the tunnel can leave this computer.';
    case 'disconnecting':
      return 'Kill switch on: traffic stays blocked while the tunnel closes.';
    case 'error':
      return 'Kill switch on: your traffic is blocked. Connect again, or disconnect to use your regular network.';
    default:
      return assertNever(state);
  }
}

/** A sentence for the helper link when it is not ready (undefined when it is). */
export function helperLinkNotice(helper: HelperLink): string | undefined {
  switch (helper.status) {
    case 'ready':
      return undefined;
    case 'connecting':
      return 'Reaching the Tsunagi service…';
    case 'unavailable':
      return helper.reason;
    default:
      return assertNever(helper);
  }
}

/** Colour of a timeline milestone: progress, a good outcome, or something that went wrong. */
export function timelineTone(kind: TimelineKind): StatusTone {
  switch (kind) {
    case 'authenticated':
    case 'established':
    case 'virtual-ip':
    case 'routes':
    case 'dns':
    case 'child-rekeyed':
    case 'ike-rekeyed':
    case 'mobike-update':
      return 'success';
    case 'cookie-requested':
    case 'invalid-ke':
    case 'redirected':
    case 'network-changed':
    case 'wake':
    case 'retransmit':
    case 'reconnecting':
      return 'progress';
    case 'dpd-timeout':
    case 'peer-delete':
      return 'danger';
    case 'ike-sa-init-sent':
    case 'nat-detected':
    case 'floated-to-natt':
    case 'eap-round':
    case 'dpd-sent':
    case 'closed':
      return 'neutral';
    default:
      return assertNever(kind);
  }
}
