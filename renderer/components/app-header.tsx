import type { TunnelState } from '../../electron/shared/ipc-schema';
import { LogoMark } from './logo-mark';
import { StatusPill } from './status-pill';

export function AppHeader({ state }: { state: TunnelState }) {
  return (
    <header className="app-header">
      <div className="app-header__brand">
        <LogoMark />
        <h1 className="app-header__name">Tsunagi</h1>
      </div>
      <StatusPill state={state} />
    </header>
  );
}
