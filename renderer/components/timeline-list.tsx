import type { TimelineEntry } from '../../electron/shared/ipc-schema';
import { formatClock, formatOffset } from '../lib/format';
import { timelineTone } from '../lib/tunnel-state-view';

/** The connection's milestones, oldest first, each with its time and the time since the start. */
export function TimelineList({ entries }: { entries: readonly TimelineEntry[] }) {
  const start = entries[0]?.at ?? 0;
  return (
    <ol className="timeline" aria-label="Connection timeline">
      {entries.map((entry, index) => (
        <li
          key={`${entry.at}-${index}`}
          className="timeline__item"
          data-tone={timelineTone(entry.kind)}
          data-kind={entry.kind}
        >
          <span className="timeline__dot" aria-hidden="true" />
          <time className="timeline__time" dateTime={new Date(entry.at).toISOString()}>
            {formatClock(entry.at)}
          </time>
          <span className="timeline__offset">
            {index === 0 ? '' : formatOffset(entry.at - start)}
          </span>
          <span className="timeline__text">{entry.text}</span>
        </li>
      ))}
    </ol>
  );
}
