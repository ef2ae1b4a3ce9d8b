import { describe, expect, it } from 'vitest';
import type { ConnectionSnapshot, TunnelState } from '../../electron/shared/ipc-schema';
import { connectAction, initialProfileId } from '../../renderer/lib/connect-action';
import { splitFix } from '../../renderer/lib/fix-text';
import { authMethodLabel, profileCountLabel } from '../../renderer/lib/profile-view';
import {
  blockingNotice,
  connectionStatus,
  timelineTone,
  tunnelProfileName,
  tunnelStateDetail,
  tunnelStateLabel,
  tunnelStateTone,
} from '../../renderer/lib/tunnel-state-view';
import { IDLE_CONNECTION } from './fake-tsunagi';
import {
  AUTH_ERROR,
  CONNECTED,
  CONNECTING,
  DISCONNECTING,
  HELPER_DOWN,
  RECONNECTING,
} from './fixtures';

const office = {
  id: 'office',
  name: 'Office',
  server: 'vpn.example.com',
  authMethod: 'psk' as const,
};
const lab = { id: 'lab', name: 'Lab', server: '192.0.2.10', authMethod: 'cert' as const };

const cases: [TunnelState, string, string, string][] = [
  [
    { state: 'disconnected', reason: 'not-started', blocking: false },
    'Disconnected',
    'neutral',
    'Not connected. Your traffic uses your regular network.',
  ],
  [
    { state: 'disconnected', reason: 'peer', blocking: true },
    'Disconnected',
    'neutral',
    'The gateway closed the connection. Lockdown is on: traffic outside the VPN is blocked.',
  ],
  [CONNECTING, 'Connecting…', 'progress', 'Connecting to Work (vpn.example.com).'],
  [CONNECTED, 'Connected', 'success', 'Your traffic goes through Work (vpn.example.com).'],
  [
    RECONNECTING,
    'Reconnecting…',
    'progress',
    'Reconnecting to Work, attempt 2: The gateway stopped answering (dead peer detection).',
  ],
  [DISCONNECTING, 'Disconnecting…', 'progress', 'Disconnecting from Work.'],
  [
    AUTH_ERROR,
    'Connection failed',
    'danger',
    AUTH_ERROR.state === 'error' ? AUTH_ERROR.message : '',
  ],
];

describe('tunnel state view', () => {
  it.each(cases)('%o → %s / %s', (state, label, tone, detail) => {
    expect(tunnelStateLabel(state)).toBe(label);
    expect(tunnelStateTone(state)).toBe(tone);
    expect(tunnelStateDetail(state, 'Work')).toBe(detail);
  });

  it('says "the VPN" when no profile name is known', () => {
    expect(tunnelStateDetail(DISCONNECTING, undefined)).toBe('Disconnecting from the VPN.');
  });

  it('names the profile by the app’s profile list first, then by the helper', () => {
    const snap = { tunnel: CONNECTED, profileId: 'office' };
    expect(tunnelProfileName(snap, [{ ...office, name: 'Work' }])).toBe('Work');
    expect(tunnelProfileName(snap, [])).toBe('Office');
    expect(tunnelProfileName({ tunnel: AUTH_ERROR, profileId: null }, [])).toBeUndefined();
  });

  it('puts an unavailable helper above the tunnel state in the header', () => {
    expect(connectionStatus({ ...IDLE_CONNECTION, tunnel: CONNECTED })).toEqual({
      label: 'Connected',
      tone: 'success',
    });
    expect(connectionStatus({ ...IDLE_CONNECTION, helper: HELPER_DOWN })).toEqual({
      label: 'Service unavailable',
      tone: 'danger',
    });
  });

  it('explains blocking in every state, and stays quiet when nothing is blocked', () => {
    expect(blockingNotice(DISCONNECTING)).toBeUndefined();
    expect(blockingNotice({ state: 'disconnected', reason: 'user', blocking: true })).toMatch(
      /^Lockdown is on/,
    );
    expect(blockingNotice(CONNECTING)).toBe(
      'Kill switch on: traffic is blocked until the tunnel is up.',
    );
    expect(blockingNotice(CONNECTED)).toMatch(/only traffic through the tunnel/);
    expect(blockingNotice(AUTH_ERROR)).toMatch(/your traffic is blocked/);
  });

  it('colours timeline milestones by what they mean', () => {
    expect(timelineTone('ike-sa-init-sent')).toBe('neutral');
    expect(timelineTone('established')).toBe('success');
    expect(timelineTone('retransmit')).toBe('progress');
    expect(timelineTone('dpd-timeout')).toBe('danger');
  });
});

describe('connect action', () => {
  const snap = (tunnel: TunnelState, helper = IDLE_CONNECTION.helper): ConnectionSnapshot => ({
    ...IDLE_CONNECTION,
    tunnel,
    helper,
  });

  it('connects when idle, with a picker only when there is a choice', () => {
    expect(connectAction(IDLE_CONNECTION, [office])).toEqual({
      kind: 'connect',
      label: 'Connect',
      pickProfile: false,
    });
    expect(connectAction(IDLE_CONNECTION, [office, lab])).toMatchObject({ pickProfile: true });
    expect(connectAction(snap(AUTH_ERROR), [office])).toMatchObject({
      kind: 'connect',
      label: 'Connect again',
    });
  });

  it('disables Connect with the reason: no profile, helper unavailable or still being reached', () => {
    expect(connectAction(IDLE_CONNECTION, [])).toMatchObject({
      disabledReason: 'Add a profile first.',
    });
    expect(connectAction(snap(IDLE_CONNECTION.tunnel, HELPER_DOWN), [office])).toMatchObject({
      kind: 'connect',
      disabledReason: 'The Tsunagi service is not available (see above).',
    });
    expect(
      connectAction(snap(IDLE_CONNECTION.tunnel, { status: 'connecting' }), [office]),
    ).toMatchObject({ disabledReason: 'Waiting for the Tsunagi service…' });
  });

  it('offers Cancel while connecting, Disconnect while connected, nothing while disconnecting', () => {
    expect(connectAction(snap(CONNECTING), [office])).toEqual({
      kind: 'disconnect',
      label: 'Cancel',
    });
    expect(connectAction(snap(RECONNECTING), [office])).toEqual({
      kind: 'disconnect',
      label: 'Cancel',
    });
    expect(connectAction(snap(CONNECTED), [office])).toEqual({
      kind: 'disconnect',
      label: 'Disconnect',
    });
    expect(connectAction(snap(DISCONNECTING), [office])).toMatchObject({
      label: 'Disconnecting…',
      disabledReason: 'Already disconnecting.',
    });
  });

  it('starts the picker on the first candidate that still exists', () => {
    expect(initialProfileId([office, lab], [null, 'gone', 'lab'])).toBe('lab');
    expect(initialProfileId([office, lab], [undefined])).toBe('office');
    expect(initialProfileId([], ['office'])).toBeUndefined();
  });
});

describe('fix text', () => {
  it('sets a trailing command apart from the words', () => {
    expect(splitFix('Start it with: sudo systemctl start tsunagi-helper')).toEqual({
      prose: 'Start it with:',
      command: 'sudo systemctl start tsunagi-helper',
    });
    expect(splitFix('See the log: journalctl -u tsunagi-helper.')).toEqual({
      prose: 'See the log:',
      command: 'journalctl -u tsunagi-helper',
    });
  });

  it('keeps the words after a command apart too', () => {
    expect(
      splitFix(
        'Add yourself to the tsunagi group: sudo usermod -aG tsunagi $USER, then log out and in',
      ),
    ).toEqual({
      prose: 'Add yourself to the tsunagi group:',
      command: 'sudo usermod -aG tsunagi $USER',
      after: 'Then log out and in.',
    });
    expect(splitFix('Start it: sudo systemctl enable --now tsunagi-helper')).toEqual({
      prose: 'Start it:',
      command: 'sudo systemctl enable --now tsunagi-helper',
    });
  });

  it('leaves a fix without a command alone', () => {
    const fix = 'Check the pre-shared key: it must match the gateway’s.';
    expect(splitFix(fix)).toEqual({ prose: fix });
    expect(splitFix('Reconnect.')).toEqual({ prose: 'Reconnect.' });
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
