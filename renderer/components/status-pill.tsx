import type { StatusTone } from '../lib/tunnel-state-view';

/** The connection state in the header; announced to screen readers when it changes. */
export function StatusPill({ label, tone }: { label: string; tone: StatusTone }) {
  return (
    <p className="status-pill" data-tone={tone} role="status" aria-live="polite">
      <span className="status-pill__dot" aria-hidden="true" />
      <span className="visually-hidden">Connection: </span>
      {label}
    </p>
  );
}
