// The logs view's rules: which lines a filter keeps and how a line reads as text (copy, export).

import type { LogComponent, LogEntry, LogLevel } from '../../electron/shared/ipc-schema';
import { formatTimestamp } from './format';

/** The store's copy of a log entry: `seq` is a stable key that never repeats in a session. */
export interface LogLine extends LogEntry {
  readonly seq: number;
}

// The helper's lists (native-helper/ipc/protocol.ts LOG_LEVELS, LOG_COMPONENTS), repeated here as
// values because the renderer may import only the schema's types; the type annotation makes a
// new level or component a compile error until it is added.
export const LOG_LEVEL_ORDER = [
  'debug',
  'info',
  'warn',
  'error',
] as const satisfies readonly LogLevel[];
export const LOG_COMPONENT_ORDER = [
  'helper',
  'ike',
  'esp',
  'tunnel',
  'firewall',
  'app',
] as const satisfies readonly LogComponent[];
type AllListed<T extends string, L extends readonly T[]> = [T] extends [L[number]] ? true : never;
const _everyLevel: AllListed<LogLevel, typeof LOG_LEVEL_ORDER> = true;
const _everyComponent: AllListed<LogComponent, typeof LOG_COMPONENT_ORDER> = true;
void _everyLevel;
void _everyComponent;

/** How many lines the store keeps (older ones drop off the front). */
export const LOG_LIMIT = 1000;

export interface LogFilter {
  /** Levels shown; the others are hidden. */
  readonly levels: readonly LogLevel[];
  /** Components shown. */
  readonly components: readonly LogComponent[];
  /** Case-insensitive text every shown line contains; '' shows all. */
  readonly text: string;
}

/** Everything but debug: what a user looking for a problem wants first. */
export const DEFAULT_LOG_FILTER: LogFilter = {
  levels: ['info', 'warn', 'error'],
  components: [...LOG_COMPONENT_ORDER],
  text: '',
};

export function filterLogs<T extends LogEntry>(lines: readonly T[], filter: LogFilter): T[] {
  const levels = new Set(filter.levels);
  const components = new Set(filter.components);
  const needle = filter.text.trim().toLowerCase();
  return lines.filter(
    (line) =>
      levels.has(line.level) &&
      components.has(line.component) &&
      (needle === '' || line.text.toLowerCase().includes(needle)),
  );
}

/** Whether a filter hides anything at all. */
export function isFilterActive(filter: LogFilter): boolean {
  return (
    filter.text.trim() !== '' ||
    filter.levels.length < LOG_LEVEL_ORDER.length ||
    filter.components.length < LOG_COMPONENT_ORDER.length
  );
}

/** A list with `item` added or removed, in the canonical order. */
export function toggled<T extends string>(list: readonly T[], item: T, order: readonly T[]): T[] {
  const set = new Set(list);
  if (set.has(item)) set.delete(item);
  else set.add(item);
  return order.filter((x) => set.has(x));
}

export function levelLabel(level: LogLevel): string {
  switch (level) {
    case 'debug':
      return 'Debug';
    case 'info':
      return 'Info';
    case 'warn':
      return 'Warning';
    case 'error':
      return 'Error';
  }
}

export function componentLabel(component: LogComponent): string {
  switch (component) {
    case 'helper':
      return 'Service';
    case 'ike':
      return 'IKE';
    case 'esp':
      return 'ESP';
    case 'tunnel':
      return 'Tunnel';
    case 'firewall':
      return 'Firewall';
    case 'app':
      return 'App';
  }
}

/** One line as text: "2026-11-24 06:39:37.123 ERROR ike      text". */
export function logLineText(line: LogEntry): string {
  return `${formatTimestamp(line.at)} ${line.level.toUpperCase().padEnd(5)} ${line.component.padEnd(8)} ${line.text}`;
}

export function logText(lines: readonly LogEntry[]): string {
  return lines.map(logLineText).join('\n') + (lines.length > 0 ? '\n' : '');
}

/** A list capped at `limit`, keeping the newest items. */
export function appendCapped<T>(list: readonly T[], items: readonly T[], limit: number): T[] {
  const joined = list.length + items.length;
  if (joined <= limit) return [...list, ...items];
  const drop = joined - limit;
  return drop >= list.length ? items.slice(items.length - limit) : [...list.slice(drop), ...items];
}

/**
 * The newest lines whose text fits in `maxChars` (main refuses bigger exports), as text, and how
 * many lines that is.
 */
export function logTextWithin(
  lines: readonly LogEntry[],
  maxChars: number,
): { text: string; count: number } {
  const parts: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const part = `${logLineText(lines[i]!)}\n`;
    if (size + part.length > maxChars) break;
    parts.push(part);
    size += part.length;
  }
  return { text: parts.reverse().join(''), count: parts.length };
}
