import type { ProfileSummary, TunnelState } from '../../electron/shared/ipc-schema';
import { tunnelStateDetail, tunnelStateLabel, tunnelStateTone } from '../lib/tunnel-state-view';

export function ConnectionView({
  state,
  profiles,
  onShowProfiles,
}: {
  state: TunnelState;
  profiles: readonly ProfileSummary[];
  onShowProfiles: () => void;
}) {
  return (
    <section className="view" aria-labelledby="connection-title">
      <header className="view__header">
        <h2 id="connection-title" className="view__title">
          Connection
        </h2>
      </header>
      <div className="state-card" data-tone={tunnelStateTone(state)}>
        <span className="state-card__dot" aria-hidden="true" />
        <div>
          <p className="state-card__label">{tunnelStateLabel(state)}</p>
          <p className="state-card__detail">{tunnelStateDetail(state, profiles)}</p>
        </div>
      </div>
      {profiles.length === 0 && (
        <div className="hint">
          <p>You need a profile before you can connect.</p>
          <button type="button" className="button button--quiet" onClick={onShowProfiles}>
            Go to Profiles
          </button>
        </div>
      )}
    </section>
  );
}
