import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppSnapshot } from '../../electron/shared/ipc-schema';
import { App } from '../../renderer/app';
import { DEFAULT_SETTINGS } from '../../electron/shared/settings-schema';
import { createAppStore } from '../../renderer/store/app-store';
import { createFakeTsunagi, EMPTY_SNAPSHOT, IDLE_CONNECTION } from './fake-tsunagi';
import { CONNECTED, CONNECTING, HELPER_DOWN } from './fixtures';

afterEach(() => {
  cleanup();
  delete document.documentElement.dataset['theme'];
});

function renderApp(snapshot: AppSnapshot = EMPTY_SNAPSHOT) {
  const fake = createFakeTsunagi(snapshot);
  const store = createAppStore();
  const view = render(<App api={fake.api} store={store} />);
  return { fake, store, view };
}

describe('app shell', () => {
  it('renders the header, the status pill and the empty profile list from the snapshot', async () => {
    renderApp();
    expect(await screen.findByRole('heading', { name: 'No profiles yet' })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Tsunagi');
    const pill = screen.getByRole('status');
    expect(pill.textContent).toBe('Connection: Disconnected');
    expect(pill.dataset['tone']).toBe('neutral');
    expect(
      (screen.getByRole('button', { name: 'Import a profile' }) as HTMLButtonElement).disabled,
    ).toBe(false);
    expect(
      (screen.getByRole('button', { name: 'New profile' }) as HTMLButtonElement).disabled,
    ).toBe(false);
    const nav = screen.getByRole('navigation', { name: 'Sections' });
    expect(
      within(nav)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Connection', 'Profiles', 'Logs', 'Settings']);
    expect(within(nav).getByRole('button', { name: 'Profiles' }).getAttribute('aria-current')).toBe(
      'page',
    );
    expect(screen.getByText('Version 0.1.0')).toBeTruthy();
  });

  it('shows "Loading…" until the snapshot arrives, and nothing it does not know', () => {
    renderApp();
    expect(screen.getByRole('status').textContent).toBe('Loading…');
    expect(screen.queryByText('Disconnected')).toBeNull();
  });

  it('applies connection.changed events to the store and the pill', async () => {
    const { fake, store } = renderApp();
    await screen.findByText('No profiles yet');
    const connecting = { ...IDLE_CONNECTION, tunnel: CONNECTING, profileId: 'office' };
    act(() => fake.events.connection.emit(connecting));
    expect(store.getState().connection).toEqual(connecting);
    expect(screen.getByRole('status').textContent).toBe('Connection: Connecting…');
    expect(screen.getByRole('status').dataset['tone']).toBe('progress');
    act(() => fake.events.connection.emit({ ...connecting, tunnel: CONNECTED }));
    expect(screen.getByRole('status').textContent).toBe('Connection: Connected');
    expect(screen.getByRole('status').dataset['tone']).toBe('success');
    act(() => fake.events.connection.emit({ ...IDLE_CONNECTION, helper: HELPER_DOWN }));
    expect(screen.getByRole('status').textContent).toBe('Connection: Service unavailable');
    expect(screen.getByRole('status').dataset['tone']).toBe('danger');
  });

  it('replaces the empty state with the list when profiles.changed arrives', async () => {
    const { fake } = renderApp();
    await screen.findByText('No profiles yet');
    act(() =>
      fake.events.profiles.emit([
        { id: 'office', name: 'Office', server: 'vpn.example.com', authMethod: 'eap-mschapv2' },
      ]),
    );
    expect(screen.queryByText('No profiles yet')).toBeNull();
    const list = screen.getByRole('list', { name: 'Profiles' });
    expect(within(list).getByText('Office')).toBeTruthy();
    expect(within(list).getByText('vpn.example.com')).toBeTruthy();
    expect(screen.getByText('1 profile')).toBeTruthy();
  });

  it('opens on Connection when there are profiles, and switches views from the nav', async () => {
    renderApp({
      ...EMPTY_SNAPSHOT,
      profiles: [{ id: 'lab', name: 'Lab', server: '192.0.2.10', authMethod: 'psk' }],
    });
    expect(await screen.findByRole('heading', { name: 'Connection', level: 2 })).toBeTruthy();
    expect(screen.getByText('Not connected. Your traffic uses your regular network.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Profiles' }));
    expect(screen.getByRole('heading', { name: 'Profiles', level: 2 })).toBeTruthy();
    expect(document.querySelector('.profile-list__auth')?.textContent).toBe('Pre-shared key');
  });

  it("shows main's error when the snapshot fails, and tries again on request", async () => {
    const fake = createFakeTsunagi();
    fake.queueSnapshotAnswers({
      ok: false,
      error: {
        code: 'profile-store-corrupt',
        message: 'The profile file /x/profiles.json is corrupt: it is not valid JSON',
      },
    });
    render(<App api={fake.api} store={createAppStore()} />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Tsunagi could not load its state');
    expect(alert.textContent).toContain('is corrupt: it is not valid JSON');
    expect(screen.queryByText('No profiles yet')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No profiles yet')).toBeTruthy();
    expect(fake.snapshotCalls()).toBe(2);
  });

  it('unsubscribes from every event when unmounted', async () => {
    const { fake, view } = renderApp();
    await screen.findByText('No profiles yet');
    expect(fake.listenerCount()).toBe(5);
    view.unmount();
    expect(fake.listenerCount()).toBe(0);
  });

  it('pins the theme when settings say light or dark, and follows the system otherwise', async () => {
    const { fake } = renderApp();
    await screen.findByText('No profiles yet');
    expect(document.documentElement.dataset['theme']).toBeUndefined();
    act(() => fake.events.settings.emit({ ...DEFAULT_SETTINGS, theme: 'dark' }));
    expect(document.documentElement.dataset['theme']).toBe('dark');
    act(() => fake.events.settings.emit({ ...DEFAULT_SETTINGS, theme: 'system' }));
    expect(document.documentElement.dataset['theme']).toBeUndefined();
  });
});
