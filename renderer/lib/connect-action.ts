// What the big button on the connection view does and says, as a pure function of the snapshot,
// so every state (and why the button is disabled) is tested without a DOM.

import { assertNever } from '../../electron/shared/assert-never';
import type { ConnectionSnapshot, ProfileSummary } from '../../electron/shared/ipc-schema';

export type ConnectAction =
  | {
      readonly kind: 'connect';
      readonly label: string;
      /** Why the button cannot be used; undefined when it can. */
      readonly disabledReason?: string;
      /** Whether to show the profile picker (more than one profile to choose from). */
      readonly pickProfile: boolean;
    }
  | { readonly kind: 'disconnect'; readonly label: string; readonly disabledReason?: string };

export function connectAction(
  snapshot: ConnectionSnapshot,
  profiles: readonly ProfileSummary[],
): ConnectAction {
  const helperDown =
    snapshot.helper.status === 'unavailable'
      ? 'The Tsunagi service is not available (see above).'
      : snapshot.helper.status === 'connecting'
        ? 'Waiting for the Tsunagi service…'
        : undefined;
  const state = snapshot.tunnel;
  switch (state.state) {
    case 'disconnected':
    case 'error': {
      const reason = helperDown ?? (profiles.length === 0 ? 'Add a profile first.' : undefined);
      return {
        kind: 'connect',
        label: state.state === 'error' ? 'Connect again' : 'Connect',
        pickProfile: profiles.length > 1,
        ...(reason ? { disabledReason: reason } : {}),
      };
    }
    case 'connecting':
    case 'reconnecting':
      return {
        kind: 'disconnect',
        label: 'Cancel',
        ...(helperDown ? { disabledReason: helperDown } : {}),
      };
    case 'connected':
      return {
        kind: 'disconnect',
        label: 'Disconnect',
        ...(helperDown ? { disabledReason: helperDown } : {}),
      };
    case 'disconnecting':
      return {
        kind: 'disconnect',
        label: 'Disconnecting…',
        disabledReason: 'Already disconnecting.',
      };
    default:
      return assertNever(state);
  }
}

/**
 * The profile the picker starts on: the tunnel's own profile, then the one the user picked last,
 * then the auto-connect profile, then the first one.
 */
export function initialProfileId(
  profiles: readonly ProfileSummary[],
  candidates: readonly (string | null | undefined)[],
): string | undefined {
  for (const id of candidates) {
    if (id && profiles.some((p) => p.id === id)) return id;
  }
  return profiles[0]?.id;
}
