import { useState } from 'react';
import type {
  AppSettings,
  HelperLink,
  ProfileSummary,
  SettingsPatch,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import { Check } from './profile-editor';
import { TrustedNetworks } from './trusted-networks';

export function SettingsView({
  api,
  settings,
  profiles,
  helper,
}: {
  api: TsunagiApi;
  settings: AppSettings;
  profiles: readonly ProfileSummary[];
  /** Whether the service that enforces the protection settings is reachable. */
  helper: HelperLink;
}) {
  const [error, setError] = useState<string | null>(null);
  const update = async (patch: SettingsPatch): Promise<boolean> => {
    const answer = await api.settings.update(patch);
    setError(answer.ok ? null : answer.error.message);
    return answer.ok;
  };
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view__header">
        <h2 id="settings-title" className="view__title">
          Settings
        </h2>
        <p className="view__subtitle">Saved as you change them.</p>
      </header>
      {error && (
        <p className="notice notice--danger" role="alert">
          {error}
        </p>
      )}

      <div className="settings-group">
        <h3 className="settings-group__title">Protection</h3>
        <p className="settings-group__note">
          {helper.status === 'ready'
            ? 'Enforced by the Tsunagi service, in the kernel firewall: they hold even if the app quits.'
            : 'Enforced by the Tsunagi service, which is not reachable right now: your choices are saved and apply once it is.'}
        </p>
        <Check
          label="Kill switch: block traffic while the VPN is not up"
          checked={settings.killSwitch}
          onChange={(v) => void update({ killSwitch: v })}
        />
        <Check
          label="Lockdown: block traffic even when disconnected"
          checked={settings.lockdown}
          onChange={(v) => void update({ lockdown: v })}
        />
        <Check
          label="Allow the local network (printers, file shares)"
          checked={settings.allowLan}
          onChange={(v) => void update({ allowLan: v })}
        />
      </div>

      <div className="settings-group">
        <h3 className="settings-group__title">Automation</h3>
        <Check
          label="Connect automatically"
          checked={settings.autoConnect}
          disabled={profiles.length === 0}
          note={profiles.length === 0 ? 'Add a profile first' : undefined}
          onChange={(v) =>
            void update({
              autoConnect: v,
              autoConnectProfileId: settings.autoConnectProfileId ?? profiles[0]?.id ?? null,
            })
          }
        />
        {profiles.length > 0 && (
          <label className="field field--inline">
            <span className="field__label">Profile to connect</span>
            <select
              className="field__input"
              value={settings.autoConnectProfileId ?? ''}
              onChange={(e) => void update({ autoConnectProfileId: e.target.value || null })}
            >
              <option value="">Choose a profile</option>
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <Check
          label="Launch Tsunagi when you log in"
          checked={settings.launchAtLogin}
          onChange={(v) => void update({ launchAtLogin: v })}
        />
        <Check
          label="Show notifications"
          checked={settings.notifications}
          onChange={(v) => void update({ notifications: v })}
        />
      </div>

      <TrustedNetworks
        api={api}
        trusted={settings.trustedNetworks}
        killSwitch={settings.killSwitch}
        canConnect={settings.autoConnect && settings.autoConnectProfileId !== null}
        onChange={(trustedNetworks) => update({ trustedNetworks })}
        onError={setError}
      />

      <div className="settings-group">
        <h3 className="settings-group__title">Appearance</h3>
        <label className="field field--inline">
          <span className="field__label">Theme</span>
          <select
            className="field__input"
            value={settings.theme}
            onChange={(e) => void update({ theme: e.target.value as AppSettings['theme'] })}
          >
            <option value="system">Follow the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </div>
    </section>
  );
}
