import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../electron/shared/ipc-schema';
import {
  appendCapped,
  DEFAULT_LOG_FILTER,
  filterLogs,
  isFilterActive,
  LOG_COMPONENT_ORDER,
  LOG_LEVEL_ORDER,
  logLineText,
  logText,
  logTextWithin,
  toggled,
} from '../../renderer/lib/log-view';
import { LOG_LINES, T0 } from './fixtures';

const all = { levels: [...LOG_LEVEL_ORDER], components: [...LOG_COMPONENT_ORDER], text: '' };

describe('log view', () => {
  it('hides debug lines by default and shows everything with every level on', () => {
    expect(isFilterActive(DEFAULT_LOG_FILTER)).toBe(true);
    expect(filterLogs(LOG_LINES, DEFAULT_LOG_FILTER).some((l) => l.level === 'debug')).toBe(false);
    expect(filterLogs(LOG_LINES, DEFAULT_LOG_FILTER)).toHaveLength(8);
    expect(isFilterActive(all)).toBe(false);
    expect(filterLogs(LOG_LINES, all)).toEqual(LOG_LINES);
  });

  it('filters by level, component and text (case-insensitive), all at once', () => {
    expect(
      filterLogs(LOG_LINES, { ...all, levels: ['warn', 'error'] }).map((l) => l.level),
    ).toEqual(['warn', 'error']);
    expect(filterLogs(LOG_LINES, { ...all, components: ['firewall'] })).toHaveLength(1);
    expect(filterLogs(LOG_LINES, { ...all, text: '  PRE-SHARED ' }).map((l) => l.text)).toEqual([
      'authentication of vpn.example.com with pre-shared key successful',
    ]);
    expect(
      filterLogs(LOG_LINES, { levels: ['info'], components: ['ike'], text: 'nat' }),
    ).toHaveLength(1);
    expect(filterLogs(LOG_LINES, { ...all, levels: [] })).toEqual([]);
  });

  it('toggles an item in or out, keeping the canonical order', () => {
    expect(toggled(['error', 'info'], 'warn', LOG_LEVEL_ORDER)).toEqual(['info', 'warn', 'error']);
    expect(toggled(['info', 'warn'], 'info', LOG_LEVEL_ORDER)).toEqual(['warn']);
  });

  it('keeps the newest items when capping', () => {
    expect(appendCapped([1, 2, 3], [4], 5)).toEqual([1, 2, 3, 4]);
    expect(appendCapped([1, 2, 3], [4, 5], 3)).toEqual([3, 4, 5]);
    expect(appendCapped([1], [2, 3, 4, 5], 3)).toEqual([3, 4, 5]);
  });

  it('writes lines as text for copy and export', () => {
    const line: LogEntry = { at: T0 + 7, level: 'warn', component: 'ike', text: 'retransmit 1' };
    expect(logLineText(line)).toBe('2026-11-24 09:12:03.007 WARN  ike      retransmit 1');
    expect(logText([line, line])).toBe(`${logLineText(line)}\n${logLineText(line)}\n`);
    expect(logText([])).toBe('');
  });

  it('keeps the newest lines that fit an export limit', () => {
    const lines = LOG_LINES.slice(0, 3);
    const each = lines.map((l) => logLineText(l).length + 1);
    const fit = logTextWithin(lines, each[1]! + each[2]! + 1);
    expect(fit.count).toBe(2);
    expect(fit.text).toBe(logText(lines.slice(1)));
    expect(logTextWithin(lines, Number.POSITIVE_INFINITY)).toEqual({
      text: logText(lines),
      count: 3,
    });
  });
});
