import type { IpcError } from '../../electron/shared/ipc-helpers';

export function LoadingView() {
  return (
    <main className="center-screen">
      <p role="status">Loading…</p>
    </main>
  );
}

export function StartupErrorView({ error, onRetry }: { error: IpcError; onRetry: () => void }) {
  return (
    <main className="center-screen">
      <div className="startup-error" role="alert">
        <h1 className="startup-error__title">Tsunagi could not load its state</h1>
        <p className="startup-error__message">{error.message}</p>
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      </div>
    </main>
  );
}
