import { useEffect, useState } from 'react';
import type {
  AppSettings,
  CurrentNetwork,
  HelperLink,
  ProfileSummary,
  SettingsPatch,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import { Check } from './profile-editor';

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
  const [network, setNetwork] = useState<CurrentNetwork | null>(null);
  const update = async (patch: SettingsPatch) => {
    const answer = await api.settings.update(patch);
    setError(answer.ok ? null : answer.error.message);
  };
  useEffect(() => {
    let live = true;
    void api.network.current().then((answer) => {
      if (live)
        setNetwork(answer.ok ? answer.value : { detected: false, reason: answer.error.message });
    });
    return () => {
      live = false;
    };
  }, [api, settings.trustedNetworks]);

  const trusted = settings.trustedNetworks;
  const setTrusted = (patch: Partial<AppSettings['trustedNetworks']>) =>
    void update({ trustedNetworks: { ...trusted, ...patch } });
  const trustCurrent = async () => {
    const answer = await api.network.trustCurrent();
    setError(answer.ok ? null : answer.error.message);
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

      <div className="settings-group">
        <h3 className="settings-group__title">Trusted networks</h3>
        <Check
          label="Act on the network I join"
          checked={trusted.enabled}
          onChange={(v) => setTrusted({ enabled: v })}
        />
        <label className="field field--inline">
          <span className="field__label">On a trusted network</span>
          <select
            className="field__input"
            value={trusted.onTrusted}
            onChange={(e) => setTrusted({ onTrusted: e.target.value as 'disconnect' | 'nothing' })}
          >
            <option value="disconnect">Disconnect the VPN</option>
            <option value="nothing">Do nothing</option>
          </select>
        </label>
        <label className="field field--inline">
          <span className="field__label">On any other network</span>
          <select
            className="field__input"
            value={trusted.onUntrusted}
            onChange={(e) => setTrusted({ onUntrusted: e.target.value as 'connect' | 'nothing' })}
          >
            <option value="connect">Connect the VPN</option>
            <option value="nothing">Do nothing</option>
          </select>
        </label>
        <Check
          label="Always connect on open Wi-Fi"
          checked={trusted.alwaysConnectOnOpenWifi}
          onChange={(v) => setTrusted({ alwaysConnectOnOpenWifi: v })}
        />

        <div className="current-network" aria-live="polite">
          {network === null ? (
            <span>Looking at the current network…</span>
          ) : !network.detected ? (
            <span>{network.reason}</span>
          ) : network.type === 'none' ? (
            <span>Not connected to a network.</span>
          ) : (
            <>
              <span className="current-network__text">
                <span>
                  Current network: <strong>{network.label}</strong>
                  {network.trusted ? ' (trusted)' : ''}
                </span>
                {/* Why it cannot be trusted, said once: no disabled button beside it. */}
                {!network.trusted && !network.trustable && network.untrustableReason && (
                  <span className="current-network__note">{network.untrustableReason}</span>
                )}
              </span>
              {!network.trusted && network.trustable && (
                <button
                  type="button"
                  className="button button--quiet"
                  onClick={() => void trustCurrent()}
                >
                  Trust this network
                </button>
              )}
            </>
          )}
        </div>

        <ul className="trusted-list" aria-label="Trusted networks">
          {trusted.wifi.length + trusted.wired.length === 0 && (
            <li className="trusted-list__empty">No trusted networks yet.</li>
          )}
          {trusted.wifi.map((rule, index) => (
            <li key={`w${index}`} className="trusted-list__item">
              <span>
                Wi-Fi “{rule.ssid}”
                {rule.bssids?.length
                  ? ` (${rule.bssids.length} access point${rule.bssids.length > 1 ? 's' : ''})`
                  : ''}
              </span>
              <button
                type="button"
                className="link-button"
                aria-label={`Forget Wi-Fi ${rule.ssid}`}
                onClick={() => setTrusted({ wifi: trusted.wifi.filter((_, i) => i !== index) })}
              >
                Forget
              </button>
            </li>
          ))}
          {trusted.wired.map((rule, index) => {
            const label = [
              rule.gatewayMac && `gateway ${rule.gatewayMac}`,
              rule.dnsSuffix && `domain ${rule.dnsSuffix}`,
            ]
              .filter(Boolean)
              .join(', ');
            return (
              <li key={`e${index}`} className="trusted-list__item">
                <span>Wired network ({label})</span>
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Forget wired network ${label}`}
                  onClick={() => setTrusted({ wired: trusted.wired.filter((_, i) => i !== index) })}
                >
                  Forget
                </button>
              </li>
            );
          })}
        </ul>
      </div>

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
