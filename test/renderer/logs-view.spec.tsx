import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app';
import { logText } from '../../renderer/lib/log-view';
import { createAppStore } from '../../renderer/store/app-store';
import { createFakeTsunagi, EMPTY_SNAPSHOT } from './fake-tsunagi';
import { LOG_LINES, T0 } from './fixtures';

afterEach(cleanup);

const office = {
  id: 'office',
  name: 'Office',
  server: 'vpn.example.com',
  authMethod: 'psk' as const,
};

async function renderLogs() {
  const fake = createFakeTsunagi({
    ...EMPTY_SNAPSHOT,
    profiles: [office],
    logs: LOG_LINES.slice(0, 5),
  });
  const store = createAppStore();
  render(<App api={fake.api} store={store} />);
  fireEvent.click(await screen.findByRole('button', { name: 'Logs' }));
  await screen.findByRole('heading', { name: 'Logs', level: 2 });
  return { fake, store };
}

const rows = () =>
  within(screen.getByRole('region', { name: 'Log lines' }))
    .queryAllByRole('listitem')
    .map((li) => li.querySelector('.log-line__text')?.textContent);
const toggle = (group: string, name: string) =>
  within(screen.getByRole('group', { name: group })).getByRole('button', { name });

describe('logs view', () => {
  it('shows the snapshot’s lines and new ones live, debug hidden by default', async () => {
    const { fake } = await renderLogs();
    expect(rows()).toEqual([
      LOG_LINES[0]!.text,
      LOG_LINES[1]!.text,
      LOG_LINES[3]!.text,
      LOG_LINES[4]!.text,
    ]);
    expect(screen.getByText('Showing 4 of 5 lines')).toBeTruthy();
    act(() => {
      for (const entry of LOG_LINES.slice(5)) fake.events.logs.emit(entry);
    });
    expect(rows()).toHaveLength(8);
    expect(rows().at(-1)).toBe(LOG_LINES.at(-1)!.text);
    expect(screen.getByText('Showing 8 of 10 lines')).toBeTruthy();
  });

  it('shows error lines prominently', async () => {
    const { fake } = await renderLogs();
    act(() => fake.events.logs.emit(LOG_LINES.at(-1)!));
    const error = screen.getByText(LOG_LINES.at(-1)!.text).closest('li')!;
    expect(error.dataset['level']).toBe('error');
    expect(error.querySelector('.log-line__level')?.textContent).toBe('error');
    expect(error.querySelector('.log-line__component')?.textContent).toBe('IKE');
  });

  it('shows the diagnosis and the fix under a failure main explained, with its command to copy', async () => {
    const { fake } = await renderLogs();
    act(() =>
      fake.events.logs.emit({
        at: T0 + 99_000,
        level: 'error',
        component: 'app',
        text: 'connection failed: no answer from 203.0.113.7 during IKE_SA_INIT after 30 s',
        diagnosis: {
          code: 'peer-unreachable',
          fix: 'check the server address and that UDP ports 500 and 4500 are not blocked on this network',
        },
      }),
    );
    act(() =>
      fake.events.logs.emit({
        at: T0 + 99_100,
        level: 'warn',
        component: 'app',
        text: 'The Tsunagi service stopped. It is restarted automatically',
        diagnosis: {
          fix: 'It is restarted automatically; if not: sudo systemctl restart tsunagi-helper',
        },
      }),
    );
    const failed = screen.getByText(/^connection failed: no answer/).closest('li')!;
    expect(within(failed).getByText('How to fix it (peer-unreachable)')).toBeTruthy();
    expect(
      within(failed).getByText(
        'Check the server address and that UDP ports 500 and 4500 are not blocked on this network',
      ),
    ).toBeTruthy();
    const stopped = screen.getByText(/^The Tsunagi service stopped/).closest('li')!;
    expect(stopped.querySelector('.fix-box__command code')?.textContent).toBe(
      'sudo systemctl restart tsunagi-helper',
    );
    // a line without a diagnosis has no fix box
    const plain = screen.getByText(LOG_LINES[0]!.text).closest('li')!;
    expect(plain.querySelector('.log-line__fix')).toBeNull();
  });

  it('filters by level, component and text, with pressed-state toggles', async () => {
    await renderLogs();
    expect(toggle('Levels', 'Debug').getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(toggle('Levels', 'Debug'));
    expect(toggle('Levels', 'Debug').getAttribute('aria-pressed')).toBe('true');
    expect(rows()).toHaveLength(5);
    expect(screen.getByText('5 lines')).toBeTruthy();
    fireEvent.click(toggle('Components', 'App'));
    fireEvent.click(toggle('Components', 'Service'));
    expect(rows()).toEqual([LOG_LINES[2]!.text, LOG_LINES[3]!.text, LOG_LINES[4]!.text]);
    fireEvent.change(screen.getByLabelText('Filter the lines by text'), {
      target: { value: 'RETRANSMIT' },
    });
    expect(rows()).toEqual([LOG_LINES[4]!.text]);
    fireEvent.change(screen.getByLabelText('Filter the lines by text'), {
      target: { value: 'nothing like this' },
    });
    expect(screen.getByText('No line matches the filter.')).toBeTruthy();
  });

  it('copies the shown lines to the clipboard', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await renderLogs();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy' })));
    expect(writeText).toHaveBeenCalledWith(
      logText([LOG_LINES[0]!, LOG_LINES[1]!, LOG_LINES[3]!, LOG_LINES[4]!]),
    );
    expect(screen.getByText('Copied 4 lines.')).toBeTruthy();
  });

  it('says so when the clipboard refuses', async () => {
    const writeText = vi.fn(async () => {
      throw new Error('Write permission denied');
    });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await renderLogs();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy' })));
    expect(screen.getByRole('alert').textContent).toBe(
      'Could not copy to the clipboard: Write permission denied. Use Export instead.',
    );
  });

  it('exports the shown lines through main and says where they went', async () => {
    const { fake } = await renderLogs();
    fireEvent.click(toggle('Levels', 'Info'));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Export…' })));
    expect(fake.calls).toEqual([{ name: 'logs.export', args: { text: logText([LOG_LINES[4]!]) } }]);
    expect(screen.getByText('Saved 1 line to /tmp/tsunagi.log.')).toBeTruthy();
    fake.programmed.logExport = { exported: false };
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Export…' })));
    expect(screen.queryByText('Saved 1 line to /tmp/tsunagi.log.')).toBeNull();
  });

  it('keeps at most 1000 rows however many lines arrive', async () => {
    const { fake } = await renderLogs();
    act(() => {
      for (let i = 0; i < 1_200; i++) {
        fake.events.logs.emit({ at: i, level: 'info', component: 'esp', text: `line ${i}` });
      }
    });
    const shown = rows();
    expect(shown).toHaveLength(1_000);
    expect(shown[0]).toBe('line 200');
    expect(shown.at(-1)).toBe('line 1199');
  }, 20_000);
});
