import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppSnapshot, ConnectionSnapshot } from '../../electron/shared/ipc-schema';
import { App } from '../../renderer/app';
import { createAppStore } from '../../renderer/store/app-store';
import { createFakeTsunagi, EMPTY_SNAPSHOT, IDLE_CONNECTION } from './fake-tsunagi';
import {
  AUTH_ERROR,
  CONNECTING,
  connectedSince,
  connectedSnapshot,
  DISCONNECTING,
  FAILED_TIMELINE,
  HELPER_DOWN,
  RECONNECTING,
  shownTimelineTexts,
  statsSeries,
  T0,
  TIMELINE,
} from './fixtures';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const office = {
  id: 'office',
  name: 'Office',
  server: 'vpn.example.com',
  authMethod: 'psk' as const,
};
const lab = { id: 'lab', name: 'Lab', server: '192.0.2.10', authMethod: 'cert' as const };

async function renderConnection(
  connection: ConnectionSnapshot = IDLE_CONNECTION,
  extra: Partial<AppSnapshot> = {},
) {
  const fake = createFakeTsunagi({ ...EMPTY_SNAPSHOT, profiles: [office], connection, ...extra });
  const store = createAppStore();
  render(<App api={fake.api} store={store} />);
  await screen.findByRole('heading', { name: 'Connection', level: 2 });
  return { fake, store };
}

const button = (name: string | RegExp) => screen.getByRole('button', { name }) as HTMLButtonElement;

describe('connection view', () => {
  it('disconnected: one Connect button that connects the only profile', async () => {
    const { fake } = await renderConnection();
    expect(screen.getByRole('heading', { name: 'Disconnected', level: 3 })).toBeTruthy();
    expect(screen.getByText('Not connected. Your traffic uses your regular network.')).toBeTruthy();
    expect(screen.queryByLabelText('Profile')).toBeNull();
    expect(screen.queryByRole('list', { name: 'Connection timeline' })).toBeNull();
    await act(async () => fireEvent.click(button('Connect')));
    expect(fake.calls).toEqual([{ name: 'connection.connect', args: { id: 'office' } }]);
  });

  it('offers a profile picker with several profiles and connects the chosen one', async () => {
    const { fake } = await renderConnection(IDLE_CONNECTION, { profiles: [office, lab] });
    const picker = screen.getByLabelText('Profile') as HTMLSelectElement;
    expect(picker.value).toBe('office');
    fireEvent.change(picker, { target: { value: 'lab' } });
    await act(async () => fireEvent.click(button('Connect')));
    expect(fake.calls).toEqual([{ name: 'connection.connect', args: { id: 'lab' } }]);
  });

  it('shows why main refused to connect, with the fix', async () => {
    const { fake } = await renderConnection();
    fake.programmed.connect = {
      accepted: false,
      message: 'The PSK for “Office” is not in the keychain.',
      fix: 'Edit the profile and type the pre-shared key again.',
    };
    await act(async () => fireEvent.click(button('Connect')));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('The PSK for “Office” is not in the keychain.');
    expect(alert.textContent).toContain('Edit the profile and type the pre-shared key again.');
    // Old news once the tunnel moves on.
    act(() => fake.events.connection.emit({ ...IDLE_CONNECTION, tunnel: CONNECTING }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('helper unavailable: a banner with the reason and the command, Connect disabled with the reason', async () => {
    await renderConnection({ ...IDLE_CONNECTION, helper: HELPER_DOWN });
    const banner = screen.getByRole('alert');
    expect(within(banner).getByText('The Tsunagi service is unavailable')).toBeTruthy();
    expect(within(banner).getByText('The Tsunagi service is not running.')).toBeTruthy();
    expect(within(banner).getByText('sudo systemctl start tsunagi-helper').tagName).toBe('CODE');
    const connect = button('Connect');
    expect(connect.disabled).toBe(true);
    const reason = document.getElementById(connect.getAttribute('aria-describedby')!);
    expect(reason?.textContent).toBe('The Tsunagi service is not available (see above).');
  });

  it('copies the fix command to the clipboard', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await renderConnection({ ...IDLE_CONNECTION, helper: HELPER_DOWN });
    await act(async () =>
      fireEvent.click(button('Copy the command sudo systemctl start tsunagi-helper')),
    );
    expect(writeText).toHaveBeenCalledWith('sudo systemctl start tsunagi-helper');
    expect(button('Copy the command sudo systemctl start tsunagi-helper').textContent).toBe(
      'Copied',
    );
  });

  it('connecting and reconnecting: progress, the server, a Cancel button and the kill switch', async () => {
    const { fake } = await renderConnection({
      ...IDLE_CONNECTION,
      tunnel: CONNECTING,
      profileId: 'office',
    });
    expect(screen.getByRole('heading', { name: 'Connecting…' })).toBeTruthy();
    expect(screen.getByText('Connecting to Office (vpn.example.com).')).toBeTruthy();
    expect(
      screen.getByText('Kill switch on: traffic is blocked until the tunnel is up.'),
    ).toBeTruthy();
    act(() =>
      fake.events.connection.emit({
        ...IDLE_CONNECTION,
        tunnel: RECONNECTING,
        profileId: 'office',
      }),
    );
    expect(
      screen.getByText(
        'Reconnecting to Office, attempt 2: The gateway stopped answering (dead peer detection).',
      ),
    ).toBeTruthy();
    await act(async () => fireEvent.click(button('Cancel')));
    expect(fake.calls).toEqual([{ name: 'connection.disconnect' }]);
  });

  it('disconnecting: the button is disabled and says so', async () => {
    await renderConnection({ ...IDLE_CONNECTION, tunnel: DISCONNECTING, profileId: 'office' });
    expect(button('Disconnecting…').disabled).toBe(true);
  });

  it('connected: addresses, DNS, algorithms, routes, a ticking uptime, totals and the graph', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, now: T0 + 3_724_400 });
    const since = T0 + 1_400; // 1:02:03 before "now"
    const series = statsSeries(30, since + 1_000);
    const { fake } = await renderConnection(connectedSnapshot(connectedSince(since), series[0]));
    for (const stats of series.slice(1)) act(() => fake.events.stats.emit(stats));

    expect(screen.getByRole('heading', { name: 'Connected', level: 3 })).toBeTruthy();
    const tunnel = screen.getByRole('region', { name: 'Tunnel' });
    const fact = (label: string) =>
      within(tunnel).getByText(label, { selector: 'dt' }).nextElementSibling?.textContent;
    expect(fact('Server')).toBe('vpn.example.com');
    expect(fact('Gateway address')).toBe('203.0.113.7');
    expect(fact('Virtual IP')).toBe('10.10.1.2');
    expect(fact('Virtual IPv6')).toBe('fd00:10::2');
    expect(fact('DNS servers')).toBe('10.10.0.53fd00:10::53');
    expect(fact('IKE')).toBe('aes256gcm16-prfsha384-x25519');
    expect(fact('ESP')).toBe('aes256gcm16');
    expect(
      within(tunnel)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['10.10.0.53', 'fd00:10::53', '0.0.0.0/0', '::/0']);
    expect(fact('Connected for')).toBe('1:02:031 hour 2 minutes 3 seconds');
    await act(async () => {
      vi.advanceTimersByTime(2_000);
    });
    expect(fact('Connected for')).toBe('1:02:051 hour 2 minutes 5 seconds');

    const traffic = screen.getByRole('region', { name: 'Traffic' });
    const last = series.at(-1)!;
    expect(
      within(traffic).getByText('Received', { selector: 'dt' }).nextElementSibling?.textContent,
    ).toBe('19.0 MB');
    expect(last.bytesIn).toBeGreaterThanOrEqual(18_950_000);
    expect(last.bytesIn).toBeLessThan(19_050_000);
    // 29 s of history: the graph shows 30 s, not two mostly empty minutes
    const graph = within(traffic).getByRole('img', { name: 'Throughput over the last 30 seconds' });
    expect(within(traffic).getByText('30 s ago')).toBeTruthy();
    const desc = document.getElementById(graph.getAttribute('aria-describedby')!)!.textContent!;
    expect(desc).toMatch(
      /^Now receiving [\d.]+ [kM]bit\/s and sending [\d.]+ kbit\/s\. Over the last 29 seconds/,
    );
    const line = graph.querySelector('.graph__line--in')!.getAttribute('d')!;
    expect(line.split('L')).toHaveLength(30);
  });

  it('shows when the SAs were rekeyed and will be next, when the helper says', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, now: T0 + 3_600_000 });
    const now = T0 + 3_600_000;
    const stats = {
      ...statsSeries(1)[0]!,
      rekey: {
        ike: { last: null, next: now + 3 * 3_600_000 },
        child: { last: now - 14 * 60_000, next: now + 46 * 60_000 },
      },
    };
    await renderConnection(connectedSnapshot(connectedSince(T0), stats));
    const region = screen.getByRole('region', { name: 'Tunnel' });
    const fact = (label: string) =>
      within(region).getByText(label, { selector: 'dt' }).nextElementSibling?.textContent;
    expect(fact('IKE SA rekeyed')).toBe('not yet · next in 3 h 00 min');
    expect(fact('Child SA rekeyed')).toBe('14 min ago · next in 46 min');
    cleanup();
    // a helper without the field: no rows
    await renderConnection(connectedSnapshot(connectedSince(T0), statsSeries(1)[0]!));
    expect(screen.queryByText('IKE SA rekeyed')).toBeNull();
  });

  it('a server given as an address is the gateway: one row, in the address font', async () => {
    const tunnel = { ...connectedSince(T0), server: '198.51.100.10', gateway: '198.51.100.10' };
    await renderConnection(connectedSnapshot(tunnel));
    const region = screen.getByRole('region', { name: 'Tunnel' });
    expect(within(region).queryByText('Gateway address', { selector: 'dt' })).toBeNull();
    const server = within(region).getByText('Server', { selector: 'dt' }).nextElementSibling!;
    expect(server.textContent).toBe('198.51.100.10');
    expect(server.querySelector('code')?.textContent).toBe('198.51.100.10');
  });

  it('lists the timeline in order, with times and offsets', async () => {
    await renderConnection(connectedSnapshot());
    const items = within(screen.getByRole('list', { name: 'Connection timeline' })).getAllByRole(
      'listitem',
    );
    // the float right after the NAT line says nothing new: shown once
    expect(items.map((li) => li.querySelector('.timeline__text')?.textContent)).toEqual(
      shownTimelineTexts(TIMELINE.length),
    );
    expect(items.some((li) => li.dataset['kind'] === 'floated-to-natt')).toBe(false);
    expect(items[0]!.querySelector('time')?.textContent).toBe('09:12:03');
    expect(items[1]!.querySelector('.timeline__offset')?.textContent).toBe('+0.21 s');
    expect(items[0]!.dataset['kind']).toBe('ike-sa-init-sent');
  });

  it('error: the diagnosis, the fix and the code are visible; blocking offers to unblock', async () => {
    const { fake } = await renderConnection({
      ...IDLE_CONNECTION,
      tunnel: AUTH_ERROR,
      timeline: FAILED_TIMELINE,
    });
    expect(screen.getByRole('heading', { name: 'Connection failed' })).toBeTruthy();
    const detail = document.querySelector('.hero__detail')!;
    expect(detail.textContent).toBe(
      'The gateway did not accept the pre-shared key (AUTHENTICATION_FAILED after IKE_AUTH).',
    );
    // "pre-shared" never breaks at its hyphen
    expect(detail.querySelector('.nowrap')?.textContent).toBe('pre-shared');
    // the timeline ends on the failure, in the danger colour, not on a success
    const last = within(screen.getByRole('list', { name: 'Connection timeline' }))
      .getAllByRole('listitem')
      .at(-1)!;
    expect(last.dataset['kind']).toBe('closed');
    expect(last.dataset['tone']).toBe('danger');
    expect(screen.getByText('How to fix it')).toBeTruthy();
    expect(
      screen.getByText(
        'Check the pre-shared key in the profile against the one configured on the gateway.',
      ),
    ).toBeTruthy();
    expect(screen.getByText('auth-failed').tagName).toBe('CODE');
    expect(screen.getByText('The last connection, step by step.')).toBeTruthy();
    expect(screen.getByText(/Kill switch on: your traffic is blocked/)).toBeTruthy();
    await act(async () => fireEvent.click(button('Disconnect and unblock')));
    await act(async () => fireEvent.click(button('Connect again')));
    expect(fake.calls.map((c) => c.name)).toEqual(['connection.disconnect', 'connection.connect']);
  });

  it('without profiles: Connect is disabled and the view points to Profiles', async () => {
    render(<App api={createFakeTsunagi().api} store={createAppStore()} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Connection' }));
    expect(button('Connect').disabled).toBe(true);
    expect(screen.getByText('Add a profile first.')).toBeTruthy();
    fireEvent.click(button('Go to Profiles'));
    expect(screen.getByRole('heading', { name: 'No profiles yet' })).toBeTruthy();
  });
});
