import { describe, expect, it } from 'vitest';
import type { TunnelState } from '../../electron/shared/ipc-schema';
import { authMethodLabel, profileCountLabel } from '../../renderer/lib/profile-view';
import {
  tunnelStateDetail,
  tunnelStateLabel,
  tunnelStateTone,
} from '../../renderer/lib/tunnel-state-view';

const profiles = [
  { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'psk' as const },
];

const cases: [TunnelState, string, string, string][] = [
  [
    { state: 'disconnected' },
    'Disconnected',
    'neutral',
    'Not connected to a VPN. Your traffic uses your regular network.',
  ],
  [
    { state: 'connecting', profileId: 'office' },
    'Connecting…',
    'progress',
    'Connecting to Office.',
  ],
  [
    { state: 'connected', profileId: 'office', since: 0 },
    'Connected',
    'success',
    'Connected to Office.',
  ],
  [
    { state: 'reconnecting', profileId: 'office', attempt: 3 },
    'Reconnecting…',
    'progress',
    'Reconnecting to Office (attempt 3).',
  ],
  [
    { state: 'disconnecting', profileId: 'gone' },
    'Disconnecting…',
    'progress',
    'Disconnecting from the VPN.',
  ],
  [
    {
      state: 'error',
      cause: { code: 'auth-failed', message: 'The gateway refused the credentials.' },
    },
    'Connection error',
    'danger',
    'The gateway refused the credentials.',
  ],
];

describe('tunnel state view', () => {
  it.each(cases)('%o → %s / %s', (state, label, tone, detail) => {
    expect(tunnelStateLabel(state)).toBe(label);
    expect(tunnelStateTone(state)).toBe(tone);
    expect(tunnelStateDetail(state, profiles)).toBe(detail);
  });
});

describe('profile view', () => {
  it('names auth methods and counts profiles', () => {
    expect(authMethodLabel('eap-mschapv2')).toBe('User name and password (EAP-MSCHAPv2)');
    expect(authMethodLabel('psk')).toBe('Pre-shared key');
    expect(authMethodLabel('cert')).toBe('Certificate');
    expect(profileCountLabel(1)).toBe('1 profile');
    expect(profileCountLabel(3)).toBe('3 profiles');
  });
});
