import type { ProfileSummary } from '../../electron/shared/ipc-schema';
import { authMethodLabel, profileCountLabel } from '../lib/profile-view';

export function ProfilesView({ profiles }: { profiles: readonly ProfileSummary[] }) {
  return (
    <section className="view" aria-labelledby="profiles-title">
      <header className="view__header">
        <h2 id="profiles-title" className="view__title">
          Profiles
        </h2>
        <p className="view__subtitle">
          {profiles.length === 0
            ? 'Each profile is one IKEv2 gateway and the way you sign in to it.'
            : profileCountLabel(profiles.length)}
        </p>
      </header>
      {profiles.length === 0 ? <EmptyProfiles /> : <ProfileList profiles={profiles} />}
    </section>
  );
}

function EmptyProfiles() {
  return (
    <div className="empty-state">
      <svg className="empty-state__icon" viewBox="0 0 48 48" aria-hidden="true" focusable="false">
        <rect x="8" y="10" width="32" height="28" rx="6" />
        <path d="M16 20h16M16 27h10" />
      </svg>
      <h3 className="empty-state__title">No profiles yet</h3>
      <p className="empty-state__text">
        A profile holds a gateway address, the identity it should present and how you sign in.
      </p>
      <button type="button" className="button" disabled aria-describedby="import-unavailable">
        Import a profile
      </button>
      <p id="import-unavailable" className="empty-state__note">
        Importing profiles is not available in this version yet.
      </p>
    </div>
  );
}

function ProfileList({ profiles }: { profiles: readonly ProfileSummary[] }) {
  return (
    <ul className="profile-list" aria-label="Profiles">
      {profiles.map((profile) => (
        <li key={profile.id} className="profile-list__item">
          <span className="profile-list__name">{profile.name}</span>
          <span className="profile-list__server">{profile.server}</span>
          <span className="profile-list__auth">{authMethodLabel(profile.authMethod)}</span>
        </li>
      ))}
    </ul>
  );
}
