/** The real tunnel behind the state machine: one TunnelConnection per (re)connect. */
import type { ConnectionEvents, ConnectionState } from '../tunnel/connection.js';
import { TunnelConnection } from '../tunnel/connection.js';
import type { TunnelCallbacks, TunnelDriver } from '../tunnel/state-machine.js';
import type { ConnectTarget } from '../tunnel/states/types.js';
import { ikeTimelineEntry } from './timeline.js';

/**
 * What the daemon makes of a TunnelConnection's events: states become the machine's `up`,
 * IKE and connection timeline events become plain-words timeline entries (dropped packets a
 * debug log line of the `ike` component), the connection's own log lines belong to the `tunnel`
 * component, and a redirect is served by the machine's firewall before the tunnel follows it.
 * Rekeys (by either side) are noted in `rekeyed` for the statistics.
 */
export function connectionEvents(
  target: ConnectTarget,
  callbacks: TunnelCallbacks,
  rekeyed: LastRekeys = { ike: null, child: null },
): ConnectionEvents {
  let lastKind: string | undefined;
  return {
    state: (s: ConnectionState) => {
      if (s.state === 'connecting' && s.address !== target.gateway.address)
        callbacks.log(
          `the server resolved to ${s.address}, not ${target.gateway.address}: the firewall only allows the latter`,
          'tunnel',
          'warn',
        );
      if (s.state === 'reconnecting') {
        callbacks.timeline({
          at: Date.now(),
          kind: 'reconnecting',
          text: `Connection lost (${s.reason}) — trying again in ${Math.round(s.retryInMs / 1000)} s (attempt ${s.attempt})`,
        });
        callbacks.reconnecting(s.attempt, s.reason);
      }
      if (s.state === 'connected')
        callbacks.up({
          virtualIp: s.virtualIp,
          ...(s.virtualIp6 !== undefined ? { virtualIp6: s.virtualIp6 } : {}),
          dns: s.dns,
          tun: s.tun,
          ike: s.ike,
          esp: s.esp,
          routes: s.routes,
        });
    },
    timeline: (event, at) => {
      if (event.kind === 'ike-rekeyed') rekeyed.ike = at;
      if (event.kind === 'child-rekeyed') rekeyed.child = at;
      // "NAT detected … — moved to UDP 4500" already said it: the float itself is not news
      const repeat = event.kind === 'floated-to-natt' && lastKind === 'nat-detected';
      lastKind = event.kind;
      const entry = repeat ? undefined : ikeTimelineEntry(event, at);
      if (entry) callbacks.timeline(entry);
      else if (repeat) callbacks.log('moved to UDP 4500 (NAT traversal)', 'ike', 'debug');
      else if (event.kind === 'dropped')
        callbacks.log(`dropped a message: ${event.reason}`, 'ike', 'debug');
    },
    log: (text) => callbacks.log(text, 'tunnel'),
    // the firewall allows the redirect's gateway (and no longer the old one) before we go there
    redirect: (address) => callbacks.redirect(address),
  };
}

/** Epoch ms of the last IKE and Child SA rekeys of one connection (null: none yet). */
export interface LastRekeys {
  ike: number | null;
  child: number | null;
}

export const connectionDriver: TunnelDriver = (target, callbacks) => {
  const rekeyed: LastRekeys = { ike: null, child: null };
  // the helper never opens a path a client wrote: the contents came with `connect`, and the
  // gateway address is the one the firewall allows
  const connection = new TunnelConnection(
    target.profile,
    connectionEvents(target, callbacks, rekeyed),
    { kind: 'sent', contents: target.files },
    { gatewayAddress: target.gateway.address },
  );
  connection.run().then(
    (final) =>
      callbacks.closed(
        final.state === 'error'
          ? { kind: 'error', code: final.code, message: final.message, fix: final.fix }
          : { kind: 'disconnected', reason: final.reason, wasConnected: final.wasConnected },
      ),
    (e: Error) =>
      callbacks.closed({
        kind: 'error',
        code: 'internal',
        message: e.message,
        fix: 'This is a bug in Tsunagi; the helper log has details.',
      }),
  );
  return {
    stop: () => connection.stop(),
    stats: () => {
      const due = connection.rekeyDue();
      return {
        ...connection.stats(),
        rekey: {
          ike: { last: rekeyed.ike, next: due.ike ?? null },
          child: { last: rekeyed.child, next: due.child ?? null },
        },
      };
    },
  };
};
