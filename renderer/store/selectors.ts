// Derived values, as pure functions of the store's state (tested without React). Those that build
// new arrays remember their last answer, so a hook re-renders only when the inputs change.

import { connectAction, initialProfileId, type ConnectAction } from '../lib/connect-action';
import { filterLogs, type LogFilter, type LogLine } from '../lib/log-view';
import { tunnelProfileName } from '../lib/tunnel-state-view';
import type { AppState } from './app-store';

/** One-entry memo on argument identity (enough for selectors fed straight from the store). */
function memoLast<A extends readonly unknown[], R>(compute: (...args: A) => R): (...args: A) => R {
  let lastArgs: A | undefined;
  let lastResult: R;
  return (...args: A) => {
    if (lastArgs && lastArgs.length === args.length && lastArgs.every((a, i) => a === args[i])) {
      return lastResult;
    }
    lastArgs = args;
    lastResult = compute(...args);
    return lastResult;
  };
}

const filtered = memoLast((logs: readonly LogLine[], filter: LogFilter) =>
  filterLogs(logs, filter),
);

/** The log lines the current filter lets through, oldest first. */
export const selectVisibleLogs = (s: AppState): readonly LogLine[] => filtered(s.logs, s.logFilter);

const action = memoLast(connectAction);

/** What the connect button does; undefined before the snapshot. */
export const selectConnectAction = (s: AppState): ConnectAction | undefined =>
  s.connection ? action(s.connection, s.profiles) : undefined;

/** The profile the connect picker shows (see initialProfileId for the order of preference). */
export const selectChosenProfileId = (s: AppState): string | undefined =>
  initialProfileId(s.profiles, [
    s.chosenProfileId,
    s.connection?.profileId,
    s.settings?.autoConnectProfileId,
  ]);

/** The tunnel's profile name, as the connection view and header show it. */
export const selectTunnelProfileName = (s: AppState): string | undefined =>
  s.connection ? tunnelProfileName(s.connection, s.profiles) : undefined;
