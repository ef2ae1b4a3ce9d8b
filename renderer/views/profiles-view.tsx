import { useState } from 'react';
import type {
  ConnectionSnapshot,
  ProfileDetails,
  ProfileSummary,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import { KeepTogether } from '../components/keep-together';
import { authMethodLabel, profileCountLabel } from '../lib/profile-view';
import { tunnelStateLabel, tunnelStateTone } from '../lib/tunnel-state-view';
import { ProfileEditor } from './profile-editor';

type Mode =
  | { readonly kind: 'list' }
  | { readonly kind: 'new' }
  | { readonly kind: 'edit'; readonly details: ProfileDetails };

export function ProfilesView({
  profiles,
  connection,
  api,
}: {
  profiles: readonly ProfileSummary[];
  /** Marks the profile the tunnel belongs to with the tunnel's state. */
  connection: ConnectionSnapshot;
  api: TsunagiApi;
}) {
  const tunnel = connection.tunnel;
  const inUse =
    tunnel.state === 'disconnected' || tunnel.state === 'error' ? null : connection.profileId;
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [message, setMessage] = useState<{ tone: 'danger' | 'neutral'; text: string } | null>(null);

  const report = (
    answer: { ok: true } | { ok: false; error: { message: string } },
    done?: string,
  ) => {
    if (!answer.ok) setMessage({ tone: 'danger', text: answer.error.message });
    else setMessage(done ? { tone: 'neutral', text: done } : null);
  };
  const edit = async (id: string) => {
    const answer = await api.profiles.get({ id });
    if (answer.ok) setMode({ kind: 'edit', details: answer.value });
    else report(answer);
  };
  const importProfile = async () => {
    const answer = await api.profiles.import();
    report(
      answer,
      answer.ok && answer.value.imported ? `Imported “${answer.value.profile.name}”.` : undefined,
    );
  };

  if (mode.kind !== 'list') {
    return (
      <ProfileEditor
        api={api}
        {...(mode.kind === 'edit' ? { id: mode.details.id, original: mode.details.profile } : {})}
        onDone={(saved) => {
          setMode({ kind: 'list' });
          setMessage(saved ? { tone: 'neutral', text: `Saved “${saved.name}”.` } : null);
        }}
      />
    );
  }

  return (
    <section className="view" aria-labelledby="profiles-title">
      <header className="view__header view__header--actions">
        <div>
          <h2 id="profiles-title" className="view__title">
            Profiles
          </h2>
          <p className="view__subtitle">
            {profiles.length === 0
              ? 'Each profile is one IKEv2 gateway and the way you sign in to it.'
              : profileCountLabel(profiles.length)}
          </p>
        </div>
        {profiles.length > 0 && (
          <div className="toolbar">
            <button
              type="button"
              className="button button--quiet"
              onClick={() => void importProfile()}
            >
              Import…
            </button>
            <button type="button" className="button" onClick={() => setMode({ kind: 'new' })}>
              New profile
            </button>
          </div>
        )}
      </header>
      {message && (
        <p
          className={`notice notice--${message.tone}`}
          role={message.tone === 'danger' ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      )}
      {profiles.length === 0 ? (
        <EmptyProfiles
          onNew={() => setMode({ kind: 'new' })}
          onImport={() => void importProfile()}
        />
      ) : (
        <ul className="profile-list" aria-label="Profiles">
          {profiles.map((profile) => (
            <li key={profile.id} className="profile-list__item">
              <span className="profile-list__name">
                {profile.name}
                {profile.id === inUse && (
                  <span className="tag" data-tone={tunnelStateTone(tunnel)}>
                    {tunnelStateLabel(tunnel)}
                  </span>
                )}
              </span>
              <span className="profile-list__server">
                <span>{profile.server}</span>
                <span className="profile-list__auth">
                  <KeepTogether text={authMethodLabel(profile.authMethod)} />
                </span>
              </span>
              <span className="profile-list__actions">
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Edit ${profile.name}`}
                  onClick={() => void edit(profile.id)}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Duplicate ${profile.name}`}
                  onClick={() =>
                    void api.profiles.duplicate({ id: profile.id }).then((a) => report(a))
                  }
                >
                  Duplicate
                </button>
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Export ${profile.name}`}
                  onClick={() =>
                    void api.profiles
                      .export({ id: profile.id })
                      .then((a) =>
                        report(
                          a,
                          a.ok && a.value.exported
                            ? `Exported to ${a.value.path} (without secrets).`
                            : undefined,
                        ),
                      )
                  }
                >
                  Export
                </button>
                <DeleteButton
                  name={profile.name}
                  onDelete={() =>
                    void api.profiles
                      .delete({ id: profile.id })
                      .then((a) => report(a, `Deleted “${profile.name}”.`))
                  }
                />
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Deleting asks once more in place (no modal): the second click deletes. */
function DeleteButton({ name, onDelete }: { name: string; onDelete: () => void }) {
  const [armed, setArmed] = useState(false);
  return armed ? (
    <button
      type="button"
      className="link-button link-button--danger"
      aria-label={`Confirm deleting ${name}`}
      onClick={onDelete}
      onBlur={() => setArmed(false)}
      autoFocus
    >
      Really delete?
    </button>
  ) : (
    <button
      type="button"
      className="link-button"
      aria-label={`Delete ${name}`}
      onClick={() => setArmed(true)}
    >
      Delete
    </button>
  );
}

function EmptyProfiles({ onNew, onImport }: { onNew: () => void; onImport: () => void }) {
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
      <div className="toolbar">
        <button type="button" className="button button--quiet" onClick={onImport}>
          Import a profile
        </button>
        <button type="button" className="button" onClick={onNew}>
          New profile
        </button>
      </div>
    </div>
  );
}
