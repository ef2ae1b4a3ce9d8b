import type { TimelineEntry } from '../../electron/shared/ipc-schema';
import { formatClock, formatOffset } from '../lib/format';
import { timelineRows } from '../lib/timeline-view';

/**
 * The connection's milestones, oldest first, each with its time and the time since the start.
 * `failed`: the connection ended in an error, so its closing line is shown as the failure.
 */
export function TimelineList({
  entries,
  failed = false,
}: {
  entries: readonly TimelineEntry[];
  failed?: boolean;
}) {
  const start = entries[0]?.at ?? 0;
  return (
    <ol className="timeline" aria-label="Connection timeline">
      {timelineRows(entries, { failed }).map(({ entry, tone }, index) => (
        <li
          key={`${entry.at}-${index}`}
          className="timeline__item"
          data-tone={tone}
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
