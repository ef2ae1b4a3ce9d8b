/**
 * Tells the tunnel that the network changed (an address, a route or a link), so it can check
 * whether its path to the gateway moved. Linux: `ip monitor link address route`; link events
 * matter because a link going down drops its routes without any route-deleted event.
 * macOS and Windows: not supported yet (they would use SCNetworkReachability / NotifyIpInterfaceChange).
 */
import { spawn } from 'node:child_process';

export interface NetworkMonitor {
  dispose(): void;
}

/** Calls `onChange` (debounced) after any change; `onError` if the monitor cannot run. */
export function watchNetwork(
  onChange: () => void,
  onError: (e: Error) => void,
  debounceMs = 150,
): NetworkMonitor {
  if (process.platform !== 'linux') {
    onError(
      new Error(
        `network change detection is not supported on this platform yet (${process.platform})`,
      ),
    );
    return { dispose: () => undefined };
  }
  const child = spawn('ip', ['monitor', 'link', 'address', 'route'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on('data', () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  child.on('error', onError);
  child.unref();
  return {
    dispose() {
      clearTimeout(timer);
      child.kill();
    },
  };
}
