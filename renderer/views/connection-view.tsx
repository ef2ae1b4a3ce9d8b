import { useEffect, useId, useState, type ReactNode } from 'react';
import type {
  ConnectionSnapshot,
  ProfileSummary,
  TsunagiApi,
  TunnelState,
} from '../../electron/shared/ipc-schema';
import { FixBox } from '../components/fix-box';
import { HelperBanner } from '../components/helper-banner';
import { KeepTogether } from '../components/keep-together';
import { ThroughputGraph } from '../components/throughput-graph';
import { TimelineList } from '../components/timeline-list';
import { useNow } from '../hooks/use-now';
import type { ConnectAction } from '../lib/connect-action';
import {
  describeDuration,
  describeRekey,
  formatBytes,
  formatDuration,
  isIpAddress,
} from '../lib/format';
import type { RateSample } from '../lib/throughput-graph';
import {
  blockingNotice,
  tunnelStateDetail,
  tunnelStateLabel,
  tunnelStateTone,
} from '../lib/tunnel-state-view';
import {
  useChooseProfile,
  useChosenProfileId,
  useConnectAction,
  useConnection,
  useProfiles,
  useRateHistory,
  useTunnelProfileName,
} from '../store/hooks';

type Refusal = { readonly message: string; readonly fix?: string };

export function ConnectionView({
  api,
  onShowProfiles,
}: {
  api: TsunagiApi;
  onShowProfiles: () => void;
}) {
  const connection = useConnection();
  const profiles = useProfiles();
  const action = useConnectAction();
  const profileName = useTunnelProfileName();
  const samples = useRateHistory();
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  // A refusal answers one click; once the tunnel moves on, it is old news.
  const stateName = connection?.tunnel.state;
  useEffect(() => setRefusal(null), [stateName]);
  if (!connection || !action) return null;
  const tunnel = connection.tunnel;

  const run = async (call: () => ReturnType<TsunagiApi['connection']['disconnect']>) => {
    setBusy(true);
    setRefusal(null);
    const answer = await call();
    setBusy(false);
    if (!answer.ok) setRefusal({ message: answer.error.message });
    else if (!answer.value.accepted) setRefusal(answer.value);
  };

  const shield = blockingNotice(tunnel);
  return (
    <section className="view view--wide" aria-labelledby="connection-title">
      <header className="view__header">
        <h2 id="connection-title" className="view__title">
          Connection
        </h2>
      </header>

      <HelperBanner helper={connection.helper} />

      <div className="hero" data-tone={tunnelStateTone(tunnel)} data-state={tunnel.state}>
        <StateIcon state={tunnel} />
        <div className="hero__text">
          <h3 className="hero__label">{tunnelStateLabel(tunnel)}</h3>
          <p className="hero__detail">
            <KeepTogether text={tunnelStateDetail(tunnel, profileName)} />
          </p>
          {tunnel.state === 'error' && (
            <p className="hero__code">
              Error code <code className="selectable">{tunnel.code}</code>
            </p>
          )}
        </div>
        <ConnectControls
          action={action}
          profiles={profiles}
          busy={busy}
          onConnect={(id) => void run(() => api.connection.connect({ id }))}
          onDisconnect={() => void run(() => api.connection.disconnect())}
        />
      </div>

      {tunnel.state === 'error' && (
        <div className="card card--fix">
          <FixBox fix={tunnel.fix} />
        </div>
      )}

      {shield && (
        <p className="shield" role="status">
          <svg className="shield__icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
            <path d="M10 2 3.5 4.5v5c0 4 2.8 7 6.5 8.5 3.7-1.5 6.5-4.5 6.5-8.5v-5z" />
          </svg>
          {shield}
        </p>
      )}

      {tunnel.state === 'error' && tunnel.blocking && (
        <div className="inline-actions">
          <button
            type="button"
            className="button button--quiet"
            disabled={busy || connection.helper.status !== 'ready'}
            onClick={() => void run(() => api.connection.disconnect())}
          >
            Disconnect and unblock
          </button>
        </div>
      )}

      {refusal && (
        <div className="notice notice--danger" role="alert">
          <p>{refusal.message}</p>
          {refusal.fix && <p className="notice__fix">{refusal.fix}</p>}
        </div>
      )}

      {profiles.length === 0 && (
        <div className="hint">
          <p>You need a profile before you can connect.</p>
          <button type="button" className="button button--quiet" onClick={onShowProfiles}>
            Go to Profiles
          </button>
        </div>
      )}

      {tunnel.state === 'connected' && (
        <ConnectedDetails
          tunnel={tunnel}
          connection={connection}
          profileName={profileName}
          samples={samples}
        />
      )}

      {connection.timeline.length > 0 && (
        <Card
          title="Timeline"
          note={
            tunnel.state === 'disconnected' || tunnel.state === 'error'
              ? 'The last connection, step by step.'
              : 'This connection, step by step.'
          }
        >
          <TimelineList entries={connection.timeline} failed={tunnel.state === 'error'} />
        </Card>
      )}
    </section>
  );
}

function ConnectControls({
  action,
  profiles,
  busy,
  onConnect,
  onDisconnect,
}: {
  action: ConnectAction;
  profiles: readonly ProfileSummary[];
  busy: boolean;
  onConnect: (id: string) => void;
  onDisconnect: () => void;
}) {
  const id = useId();
  const chosen = useChosenProfileId();
  const choose = useChooseProfile();
  const reasonId = `${id}-reason`;
  const disabled = busy || action.disabledReason !== undefined;
  return (
    <div className="hero__controls">
      {action.kind === 'connect' && action.pickProfile && (
        <div className="field">
          <label className="field__label" htmlFor={`${id}-profile`}>
            Profile
          </label>
          <select
            id={`${id}-profile`}
            className="field__input"
            value={chosen ?? ''}
            onChange={(e) => choose(e.target.value)}
          >
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <button
        type="button"
        className={`button button--big${action.kind === 'disconnect' ? ' button--danger' : ''}`}
        disabled={disabled}
        aria-describedby={action.disabledReason ? reasonId : undefined}
        onClick={() => {
          if (action.kind === 'disconnect') onDisconnect();
          else if (chosen) onConnect(chosen);
        }}
      >
        {action.label}
      </button>
      {action.disabledReason && (
        <p id={reasonId} className="hero__reason">
          {action.disabledReason}
        </p>
      )}
    </div>
  );
}

function ConnectedDetails({
  tunnel,
  connection,
  profileName,
  samples,
}: {
  tunnel: Extract<TunnelState, { state: 'connected' }>;
  connection: ConnectionSnapshot;
  profileName: string | undefined;
  samples: readonly RateSample[];
}) {
  const now = useNow(true);
  const up = Math.max(0, now - tunnel.since);
  const stats = connection.stats;
  const ike = tunnel.ike || stats.ike;
  const esp = tunnel.esp || stats.esp;
  return (
    <>
      <Card title="Traffic">
        <dl className="totals">
          <div className="totals__item totals__item--in">
            <dt>Received</dt>
            <dd className="tabular">{formatBytes(stats.bytesIn)}</dd>
          </div>
          <div className="totals__item totals__item--out">
            <dt>Sent</dt>
            <dd className="tabular">{formatBytes(stats.bytesOut)}</dd>
          </div>
        </dl>
        <ThroughputGraph samples={samples} />
        {stats.drops > 0 && (
          <p className="card__note">
            {stats.drops} packet{stats.drops === 1 ? '' : 's'} dropped (failed checks or replays).
          </p>
        )}
      </Card>
      <Card title="Tunnel">
        <dl className="facts">
          <Fact label="Connected for">
            <span aria-hidden="true" className="tabular">
              {formatDuration(up)}
            </span>
            <span className="visually-hidden">{describeDuration(up)}</span>
          </Fact>
          {profileName && <Fact label="Profile">{profileName}</Fact>}
          {/* Addresses are in the code font, names in the text font; an address given as the
              server is the gateway's address: one row, not the same IP twice. */}
          {tunnel.server === tunnel.gateway || tunnel.gateway === '' ? (
            <Fact label="Server">
              {isIpAddress(tunnel.server) ? (
                <code className="selectable">{tunnel.server}</code>
              ) : (
                tunnel.server
              )}
            </Fact>
          ) : (
            <>
              <Fact label="Server">{tunnel.server}</Fact>
              <Fact label="Gateway address">
                <code className="selectable">{tunnel.gateway}</code>
              </Fact>
            </>
          )}
          <Fact label="Virtual IP">
            <code className="selectable">{tunnel.virtualIp}</code>
          </Fact>
          {tunnel.virtualIp6 && (
            <Fact label="Virtual IPv6">
              <code className="selectable">{tunnel.virtualIp6}</code>
            </Fact>
          )}
          <Fact label="DNS servers">
            {tunnel.dns.length === 0 ? (
              'Unchanged (yours)'
            ) : (
              <CodeList items={tunnel.dns} label="DNS servers" />
            )}
          </Fact>
          <Fact label="Routes">
            {tunnel.routes.length === 0 ? (
              'None'
            ) : (
              <CodeList items={tunnel.routes} label="Routes through the tunnel" />
            )}
          </Fact>
          <Fact label="IKE">
            <code className="selectable">{ike || '—'}</code>
          </Fact>
          <Fact label="ESP">
            <code className="selectable">{esp || '—'}</code>
          </Fact>
          <Fact label="Interface">
            <code className="selectable">{tunnel.tun}</code>
          </Fact>
          {stats.rekey && (
            <>
              <Fact label="IKE SA rekeyed">
                <span className="tabular">{describeRekey(stats.rekey.ike, now)}</span>
              </Fact>
              <Fact label="Child SA rekeyed">
                <span className="tabular">{describeRekey(stats.rekey.child, now)}</span>
              </Fact>
            </>
          )}
        </dl>
      </Card>
    </>
  );
}

function Card({ title, note, children }: { title: string; note?: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h3 id={id} className="card__title">
        {title}
      </h3>
      {note && <p className="card__note card__note--top">{note}</p>}
      {children}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="facts__row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function CodeList({ items, label }: { items: readonly string[]; label: string }) {
  return (
    <ul className="code-list" aria-label={label}>
      {items.map((item) => (
        <li key={item}>
          <code className="selectable">{item}</code>
        </li>
      ))}
    </ul>
  );
}

/** A large mark for the state: a ring that fills when connected, a cross on error. */
function StateIcon({ state }: { state: TunnelState }) {
  const paths: Record<TunnelState['state'], string> = {
    disconnected: 'M12 16h8',
    connecting: 'M16 10v6l4 2',
    reconnecting: 'M16 10v6l4 2',
    disconnecting: 'M12 16h8',
    connected: 'M11.5 16.5l3 3 6-7',
    error: 'M12.5 12.5l7 7M19.5 12.5l-7 7',
  };
  return (
    <svg className="hero__icon" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <circle className="hero__ring" cx="16" cy="16" r="13" />
      <path className="hero__glyph" d={paths[state.state]} />
    </svg>
  );
}
