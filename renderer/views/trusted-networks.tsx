import { useEffect, useId, useState } from 'react';
import type {
  CurrentNetwork,
  TrustedNetworkSettings,
  TrustedWired,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import {
  describeWifiRule,
  describeWiredRule,
  wiredRuleFromInput,
} from '../lib/trusted-network-view';
import { Check } from './profile-editor';

/**
 * Settings › Trusted networks: what to do on trusted and other networks (disabled while the
 * feature is off), the current network with "Trust this network" (optionally pinned to its access
 * point), a form for wired networks by gateway MAC or DNS suffix, and the rules with what each
 * matches.
 */
export function TrustedNetworks({
  api,
  trusted,
  killSwitch,
  canConnect,
  onChange,
  onError,
}: {
  api: TsunagiApi;
  trusted: TrustedNetworkSettings;
  /** The user's own kill switch setting (the "keep it on" choice says what it adds). */
  killSwitch: boolean;
  /** Whether auto-connect has a profile ("Connect the VPN" needs one). */
  canConnect: boolean;
  onChange: (next: TrustedNetworkSettings) => Promise<boolean>;
  onError: (message: string | null) => void;
}) {
  const [network, setNetwork] = useState<CurrentNetwork | null>(null);
  const [pin, setPin] = useState(false);
  useEffect(() => {
    let live = true;
    void api.network.current().then((answer) => {
      if (live)
        setNetwork(answer.ok ? answer.value : { detected: false, reason: answer.error.message });
    });
    return () => {
      live = false;
    };
  }, [api, trusted]);

  const set = (patch: Partial<TrustedNetworkSettings>) => void onChange({ ...trusted, ...patch });
  const trustCurrent = async () => {
    const answer = await api.network.trustCurrent({ pinBssid: pin });
    onError(answer.ok ? null : answer.error.message);
  };
  const off = !trusted.enabled;
  const bssid = network?.detected && network.type === 'wifi' ? network.bssid : undefined;

  return (
    <div className="settings-group">
      <h3 className="settings-group__title">Trusted networks</h3>
      <Check
        label="Act on the network I join"
        checked={trusted.enabled}
        onChange={(v) => set({ enabled: v })}
      />
      <div className="settings-group__dependent" aria-disabled={off || undefined}>
        <label className="field field--inline">
          <span className="field__label">On a trusted network</span>
          <select
            className="field__input"
            value={trusted.onTrusted}
            disabled={off}
            onChange={(e) => set({ onTrusted: e.target.value as 'disconnect' | 'nothing' })}
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
            disabled={off}
            onChange={(e) => set({ onUntrusted: e.target.value as 'connect' | 'nothing' })}
          >
            <option value="connect">Connect the VPN</option>
            <option value="nothing">Do nothing</option>
          </select>
        </label>
        {!off && trusted.onUntrusted === 'connect' && !canConnect && (
          <p className="settings-group__note">
            Choose a profile under “Connect automatically” above: without one the VPN cannot be
            connected for you.
          </p>
        )}
        <Check
          label="Always connect on open Wi-Fi"
          checked={trusted.alwaysConnectOnOpenWifi}
          disabled={off}
          onChange={(v) => set({ alwaysConnectOnOpenWifi: v })}
        />
        <Check
          label="Keep the kill switch on there"
          note={
            killSwitch
              ? 'On networks that are not trusted, traffic outside the VPN is blocked while it is not up. Your kill switch is on anyway.'
              : 'On networks that are not trusted, traffic outside the VPN is blocked while it is not up, even though the kill switch above is off.'
          }
          checked={trusted.killSwitchOnUntrusted ?? false}
          disabled={off}
          onChange={(v) => set({ killSwitchOnUntrusted: v })}
        />
      </div>

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
              {!network.trusted && network.trustable && bssid !== undefined && (
                <label className="choice current-network__pin">
                  <input type="checkbox" checked={pin} onChange={(e) => setPin(e.target.checked)} />
                  <span>
                    Only this access point <code className="selectable">{bssid}</code>
                  </span>
                </label>
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
        {trusted.wifi.map((rule, index) => {
          const { title, matches } = describeWifiRule(rule);
          return (
            <li key={`w${index}`} className="trusted-list__item">
              <span className="trusted-list__rule">
                <span className="trusted-list__title">{title}</span>
                <span className="trusted-list__matches">{matches}</span>
              </span>
              <button
                type="button"
                className="link-button"
                aria-label={`Forget ${title}`}
                onClick={() => set({ wifi: trusted.wifi.filter((_, i) => i !== index) })}
              >
                Forget
              </button>
            </li>
          );
        })}
        {trusted.wired.map((rule, index) => {
          const { title, matches } = describeWiredRule(rule);
          return (
            <li key={`e${index}`} className="trusted-list__item">
              <span className="trusted-list__rule">
                <span className="trusted-list__title">{title}</span>
                <span className="trusted-list__matches">{matches}</span>
              </span>
              <button
                type="button"
                className="link-button"
                aria-label={`Forget the wired network with ${matches}`}
                onClick={() => set({ wired: trusted.wired.filter((_, i) => i !== index) })}
              >
                Forget
              </button>
            </li>
          );
        })}
      </ul>

      <WiredRuleForm onAdd={(rule) => onChange({ ...trusted, wired: [...trusted.wired, rule] })} />
    </div>
  );
}

/** "Add a wired network": by the gateway's MAC, the DNS suffix, or both (all given must match). */
function WiredRuleForm({ onAdd }: { onAdd: (rule: TrustedWired) => Promise<boolean> }) {
  const id = useId();
  const [mac, setMac] = useState('');
  const [suffix, setSuffix] = useState('');
  const [problem, setProblem] = useState<{ field: string; message: string } | null>(null);
  const add = async () => {
    const parsed = wiredRuleFromInput(mac, suffix);
    if (!parsed.ok) return setProblem(parsed);
    setProblem(null);
    if (await onAdd(parsed.rule)) {
      setMac('');
      setSuffix('');
    }
  };
  const errorId = `${id}-error`;
  return (
    <form
      className="wired-form"
      aria-labelledby={`${id}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <p id={`${id}-title`} className="wired-form__title">
        Add a wired network
      </p>
      <div className="editor__row">
        <div className="field field--grow">
          <label className="field__label" htmlFor={`${id}-mac`}>
            Gateway MAC address
          </label>
          <input
            id={`${id}-mac`}
            className="field__input field__input--mono"
            placeholder="00:11:22:33:44:55"
            value={mac}
            spellCheck={false}
            aria-invalid={problem?.field === 'gatewayMac' || undefined}
            aria-describedby={problem?.field === 'gatewayMac' ? errorId : undefined}
            onChange={(e) => setMac(e.target.value)}
          />
        </div>
        <div className="field field--grow">
          <label className="field__label" htmlFor={`${id}-suffix`}>
            DNS suffix
          </label>
          <input
            id={`${id}-suffix`}
            className="field__input field__input--mono"
            placeholder="corp.example.com"
            value={suffix}
            spellCheck={false}
            aria-invalid={problem?.field === 'dnsSuffix' || undefined}
            aria-describedby={problem?.field === 'dnsSuffix' ? errorId : undefined}
            onChange={(e) => setSuffix(e.target.value)}
          />
        </div>
        <button type="submit" className="button button--quiet wired-form__add">
          Add
        </button>
      </div>
      {problem ? (
        <p id={errorId} className="field__error" role="alert">
          {problem.message}
        </p>
      ) : (
        <p className="field__hint">Both given: the network must match both.</p>
      )}
    </form>
  );
}
