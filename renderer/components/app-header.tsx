import type { ConnectionSnapshot } from '../../electron/shared/ipc-schema';
import { connectionStatus } from '../lib/tunnel-state-view';
import { LogoMark } from './logo-mark';
import { StatusPill } from './status-pill';

export function AppHeader({ connection }: { connection: ConnectionSnapshot }) {
  const { label, tone } = connectionStatus(connection);
  return (
    <header className="app-header">
      <div className="app-header__brand">
        <LogoMark />
        <h1 className="app-header__name">Tsunagi</h1>
      </div>
      <StatusPill label={label} tone={tone} />
    </header>
  );
}
