// How a tunnel state looks: pure functions of the state as received, so the header, the
// connection view (and later the tray) always say the same thing.

import { assertNever } from '../../electron/shared/assert-never';
import type { ProfileSummary, TunnelState } from '../../electron/shared/ipc-schema';

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
      return 'Connection error';
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

/** One sentence under the label: what the state means for the user's traffic. */
export function tunnelStateDetail(state: TunnelState, profiles: readonly ProfileSummary[]): string {
  const name = (id: string | undefined) =>
    profiles.find((profile) => profile.id === id)?.name ?? 'the VPN';
  switch (state.state) {
    case 'disconnected':
      return 'Not connected to a VPN. Your traffic uses your regular network.';
    case 'connecting':
      return `Connecting to ${name(state.profileId)}.`;
    case 'connected':
      return `Connected to ${name(state.profileId)}.`;
    case 'reconnecting':
      return `Reconnecting to ${name(state.profileId)} (attempt ${state.attempt}).`;
    case 'disconnecting':
      return `Disconnecting from ${name(state.profileId)}.`;
    case 'error':
      return state.cause.message;
    default:
      return assertNever(state);
  }
}
