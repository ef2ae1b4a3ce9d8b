/** The real tunnel behind the state machine: one TunnelConnection per (re)connect. */
import type { ConnectionState } from '../tunnel/connection.js';
import { TunnelConnection } from '../tunnel/connection.js';
import type { TunnelDriver } from '../tunnel/state-machine.js';

export const connectionDriver: TunnelDriver = (target, callbacks) => {
  const connection = new TunnelConnection(
    target.profile,
    {
      state: (s: ConnectionState) => {
        if (s.state === 'connecting' && s.address !== target.gateway.address)
          callbacks.log(
            `the server resolved to ${s.address}, not ${target.gateway.address}: the firewall only allows the latter`,
          );
        if (s.state === 'connected')
          callbacks.up({
            virtualIp: s.virtualIp,
            dns: s.dns,
            tun: s.tun,
            ike: s.ike,
            esp: s.esp,
            routes: s.routes,
          });
      },
      timeline: (event) => callbacks.log(`ike: ${JSON.stringify(event)}`),
      log: (text) => callbacks.log(text),
    },
    target.baseDir,
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
  return { stop: () => connection.stop(), stats: () => connection.stats() };
};
