import type { TunnelState } from '../../electron/shared/ipc-schema';
import { tunnelStateLabel, tunnelStateTone } from '../lib/tunnel-state-view';

/** The connection state in the header; announced to screen readers when it changes. */
export function StatusPill({ state }: { state: TunnelState }) {
  return (
    <p className="status-pill" data-tone={tunnelStateTone(state)} role="status" aria-live="polite">
      <span className="status-pill__dot" aria-hidden="true" />
      <span className="visually-hidden">Connection: </span>
      {tunnelStateLabel(state)}
    </p>
  );
}
