import { memo, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import type { LogComponent, LogLevel, TsunagiApi } from '../../electron/shared/ipc-schema';
import { FixBox } from '../components/fix-box';
import { formatClockMs, formatTimestamp } from '../lib/format';
import {
  componentLabel,
  isFilterActive,
  levelLabel,
  LOG_COMPONENT_ORDER,
  LOG_LEVEL_ORDER,
  LOG_LIMIT,
  logTextWithin,
  toggled,
  type LogLine,
} from '../lib/log-view';
import { useLogCount, useLogFilter, useSetLogFilter, useVisibleLogs } from '../store/hooks';

/** What main accepts for an export (ipc-schema.ts isExportArgs). */
const EXPORT_LIMIT_CHARS = 4 * 1024 * 1024;
/** How close to the bottom (px) still counts as "at the bottom" for auto-scroll. */
const BOTTOM_SLACK = 24;

type Notice = { readonly tone: 'neutral' | 'danger'; readonly text: string };

export function LogsView({ api }: { api: TsunagiApi }) {
  const lines = useVisibleLogs();
  const total = useLogCount();
  const filter = useLogFilter();
  const setFilter = useSetLogFilter();
  const searchId = useId();
  const [notice, setNotice] = useState<Notice | null>(null);

  const copy = async () => {
    const { text, count } = logTextWithin(lines, Number.POSITIVE_INFINITY);
    try {
      await navigator.clipboard.writeText(text);
      setNotice({ tone: 'neutral', text: `Copied ${lineCount(count)}.` });
    } catch (error) {
      setNotice({
        tone: 'danger',
        text: `Could not copy to the clipboard: ${(error as Error).message}. Use Export instead.`,
      });
    }
  };
  const exportLines = async () => {
    const { text, count } = logTextWithin(lines, EXPORT_LIMIT_CHARS);
    const answer = await api.logs.export({ text });
    if (!answer.ok) setNotice({ tone: 'danger', text: answer.error.message });
    else if (answer.value.exported) {
      const cut = count < lines.length ? ` (the newest ${count}; the rest did not fit)` : '';
      setNotice({
        tone: 'neutral',
        text: `Saved ${lineCount(count)} to ${answer.value.path}${cut}.`,
      });
    } else setNotice(null);
  };

  return (
    <section className="view view--wide view--fill" aria-labelledby="logs-title">
      <header className="view__header view__header--actions">
        <div>
          <h2 id="logs-title" className="view__title">
            Logs
          </h2>
          <p className="view__subtitle">
            Live from the Tsunagi service and the app; the newest {LOG_LIMIT} lines are kept.
          </p>
        </div>
        <div className="toolbar">
          <button
            type="button"
            className="button button--quiet"
            disabled={lines.length === 0}
            onClick={() => void copy()}
          >
            Copy
          </button>
          <button
            type="button"
            className="button button--quiet"
            disabled={lines.length === 0}
            onClick={() => void exportLines()}
          >
            Export…
          </button>
        </div>
      </header>

      <div className="log-filters">
        <ToggleGroup
          label="Levels"
          order={LOG_LEVEL_ORDER}
          selected={filter.levels}
          text={levelLabel}
          onChange={(levels: LogLevel[]) => setFilter({ levels })}
        />
        <ToggleGroup
          label="Components"
          order={LOG_COMPONENT_ORDER}
          selected={filter.components}
          text={componentLabel}
          onChange={(components: LogComponent[]) => setFilter({ components })}
        />
        <div className="log-filters__search">
          <label htmlFor={searchId} className="visually-hidden">
            Filter the lines by text
          </label>
          <input
            id={searchId}
            type="search"
            className="field__input"
            placeholder="Filter by text"
            value={filter.text}
            spellCheck={false}
            onChange={(e) => setFilter({ text: e.target.value })}
          />
        </div>
      </div>

      <p className="log-count" aria-live="polite">
        {isFilterActive(filter)
          ? `Showing ${lines.length} of ${lineCount(total)}`
          : `${lineCount(total)}`}
        {notice && (
          <span
            className={`log-count__notice${notice.tone === 'danger' ? ' log-count__notice--danger' : ''}`}
            role={notice.tone === 'danger' ? 'alert' : undefined}
          >
            {notice.text}
          </span>
        )}
      </p>

      <LogList
        lines={lines}
        empty={total === 0 ? 'No log lines yet.' : 'No line matches the filter.'}
      />
    </section>
  );
}

function lineCount(n: number): string {
  return n === 1 ? '1 line' : `${n} lines`;
}

function ToggleGroup<T extends string>({
  label,
  order,
  selected,
  text,
  onChange,
}: {
  label: string;
  order: readonly T[];
  selected: readonly T[];
  text: (item: T) => string;
  onChange: (next: T[]) => void;
}) {
  return (
    <div className="toggle-group" role="group" aria-label={label}>
      <span className="toggle-group__label" aria-hidden="true">
        {label}
      </span>
      {order.map((item) => (
        <button
          key={item}
          type="button"
          className="toggle"
          data-item={item}
          aria-pressed={selected.includes(item)}
          onClick={() => onChange(toggled(selected, item, order))}
        >
          {text(item)}
        </button>
      ))}
    </div>
  );
}

/**
 * The lines in a scrolling box that follows new lines while it is scrolled to the bottom and
 * stays put once the user scrolls up (a button brings it back). At most LOG_LIMIT rows exist;
 * rows off screen skip layout and paint (content-visibility), and rows are memoised by line, so a
 * new line renders one row.
 */
function LogList({ lines, empty }: { lines: readonly LogLine[]; empty: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [pausedAtSeq, setPausedAtSeq] = useState<number | null>(null);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [lines, following]);

  // Rows that come into view take their real height only then (content-visibility), and long
  // lines wrap: while following, stay at the bottom whenever the list changes size.
  const hasLines = lines.length > 0;
  useEffect(() => {
    const el = box.current;
    const list = el?.firstElementChild;
    if (!el || !list || !following || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      el.scrollTop = el.scrollHeight;
    });
    observer.observe(list);
    return () => observer.disconnect();
  }, [following, hasLines]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    if (atBottom === following) return;
    setFollowing(atBottom);
    // Lines after the newest one seen when the user scrolled away count as "new".
    setPausedAtSeq(atBottom ? null : (lines.at(-1)?.seq ?? -1));
  };
  const unseen = pausedAtSeq === null ? 0 : lines.filter((l) => l.seq > pausedAtSeq).length;

  return (
    <div className="log-box-wrap">
      <div
        ref={box}
        className="log-box"
        tabIndex={0}
        role="region"
        aria-label="Log lines"
        onScroll={onScroll}
      >
        {lines.length === 0 ? (
          <p className="log-box__empty">{empty}</p>
        ) : (
          <ol className="log-lines">
            {lines.map((line) => (
              <LogRow key={line.seq} line={line} />
            ))}
          </ol>
        )}
      </div>
      {!following && (
        <button
          type="button"
          className="button log-box__latest"
          onClick={() => {
            const el = box.current;
            if (el) el.scrollTop = el.scrollHeight;
            setFollowing(true);
            setPausedAtSeq(null);
          }}
        >
          {unseen > 0 ? `Jump to latest (${unseen} new)` : 'Jump to latest'}
        </button>
      )}
    </div>
  );
}

const LogRow = memo(function LogRow({ line }: { line: LogLine }) {
  return (
    <li className="log-line" data-level={line.level}>
      <time
        className="log-line__time"
        dateTime={new Date(line.at).toISOString()}
        title={formatTimestamp(line.at)}
      >
        {formatClockMs(line.at)}
      </time>
      <span className="log-line__level">{line.level}</span>
      <span className="log-line__component">{componentLabel(line.component)}</span>
      <span className="log-line__text">{line.text}</span>
      {line.diagnosis && (
        <div className="log-line__fix">
          <FixBox
            fix={line.diagnosis.fix}
            title={line.diagnosis.code ? `How to fix it (${line.diagnosis.code})` : 'How to fix it'}
          />
        </div>
      )}
    </li>
  );
});
