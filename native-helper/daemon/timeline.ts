/**
 * The connection timeline in plain words: the IKE engine's timeline events and the machine's
 * state changes turned into the TimelineEntry sentences the app's connection view and
 * `tsunagi events` show. Pure (the time comes in), so every sentence is unit-tested.
 */
import type { IkeTimelineEvent } from '../ike/ike-events.js';
import type { TimelineEntry, TunnelState } from '../ipc/protocol.js';
import type { ConnectionTimelineEvent } from '../tunnel/connection.js';

/** IANA key-exchange method numbers (RFC 7296 §3.3.2, RFC 8031) a gateway may ask for. */
const GROUP_NAMES: Readonly<Record<number, string>> = {
  14: 'MODP-2048',
  15: 'MODP-3072',
  16: 'MODP-4096',
  19: 'ECP-256',
  20: 'ECP-384',
  21: 'ECP-521',
  31: 'Curve25519',
  32: 'Curve448',
};

const METHOD_NAMES: Readonly<Record<string, string>> = {
  psk: 'pre-shared key',
  certificate: 'certificate',
};

function endpoint(e: { address: string; port: number }): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/**
 * One IKE (or connection) timeline event as a sentence; undefined for events that are not
 * milestones (`dropped` packets belong in the log, not in the timeline).
 */
export function ikeTimelineEntry(
  event: IkeTimelineEvent | ConnectionTimelineEvent,
  at: number,
): TimelineEntry | undefined {
  const entry = (kind: TimelineEntry['kind'], text: string): TimelineEntry => ({ at, kind, text });
  switch (event.kind) {
    case 'ike-sa-init-sent':
      return entry(
        'ike-sa-init-sent',
        event.attempt > 0
          ? `Contacting the gateway at ${endpoint(event.to)} again (try ${event.attempt + 1})`
          : `Contacting the gateway at ${endpoint(event.to)} (IKE_SA_INIT)`,
      );
    case 'cookie-requested':
      return entry('cookie-requested', 'The gateway is busy and asked for a cookie — sent again');
    case 'invalid-ke': {
      const name = GROUP_NAMES[event.group] ?? `group ${event.group}`;
      return entry('invalid-ke', `The gateway prefers ${name} for the key exchange — retried`);
    }
    case 'redirected':
      return entry('redirected', `The gateway redirected us to ${event.to}`);
    case 'nat-detected': {
      const where =
        event.local && event.remote
          ? 'NAT detected on both sides'
          : event.local
            ? 'NAT detected on our side'
            : event.remote
              ? "NAT detected on the gateway's side"
              : undefined;
      if (where) return entry('nat-detected', `${where} — moved to UDP 4500`);
      return entry(
        'nat-detected',
        event.forced
          ? 'No NAT detected — using UDP 4500 anyway (ESP always travels in UDP)'
          : 'No NAT detected',
      );
    }
    case 'floated-to-natt':
      return entry('floated-to-natt', 'Moved to UDP 4500 (NAT traversal)');
    case 'authenticated':
      return entry(
        'authenticated',
        `Authenticated gateway ${event.peer} (${METHOD_NAMES[event.method] ?? event.method})`,
      );
    case 'eap-round':
      return entry('eap-round', `Signing in with EAP (round ${event.round})`);
    case 'established':
      return entry(
        'established',
        `Tunnel established — IKE ${event.ike || 'negotiated'}, ESP ${event.esp || 'negotiated'}`,
      );
    case 'child-rekeyed':
      return entry(
        'child-rekeyed',
        event.initiator === 'peer' ? 'Child SA rekeyed by the gateway' : 'Child SA rekeyed',
      );
    case 'ike-rekeyed':
      return entry(
        'ike-rekeyed',
        event.initiator === 'peer' ? 'IKE SA rekeyed by the gateway' : 'IKE SA rekeyed',
      );
    case 'mobike-update':
      return entry('mobike-update', `Moved to ${endpoint(event.local)} (MOBIKE)`);
    case 'dpd-sent':
      return entry('dpd-sent', 'Dead-peer check sent');
    case 'retransmit':
      return entry(
        'retransmit',
        `No answer to ${event.exchange} yet — sent again (attempt ${event.attempt})`,
      );
    case 'peer-delete':
      return entry(
        'peer-delete',
        event.what === 'ike'
          ? 'The gateway closed the connection'
          : 'The gateway deleted the Child SA (the tunnel itself)',
      );
    case 'network-changed':
      switch (event.path) {
        case 'unchanged':
          return entry(
            'network-changed',
            `Network changed — the path to the gateway is unchanged (still from ${event.local})`,
          );
        case 'moved':
          return entry(
            'network-changed',
            `Network changed — the path to the gateway now leaves from ${event.local} (was ${event.previous}): ${MOVE_HOW[event.via]}${event.mtu !== undefined ? `, tunnel MTU now ${event.mtu}` : ''}`,
          );
        case 'none':
          return entry(
            'network-changed',
            `Network changed — no route to the gateway right now (${event.detail}); waiting for the network`,
          );
      }
      break;
    case 'dpd-timeout':
      return entry(
        'dpd-timeout',
        `The gateway stopped answering liveness checks — no answer for ${seconds(event.afterMs)}`,
      );
    case 'wake':
      return entry(
        'wake',
        `Woke up after ${seconds(event.sleptMs)} — checking the gateway at once`,
      );
    case 'reestablish':
      return entry(
        'reconnecting',
        event.phase === 'started'
          ? `The gateway cannot move the tunnel (no MOBIKE) — building a new connection from ${event.local} while the old one carries the traffic`
          : event.phase === 'switched'
            ? `Traffic moved to the new connection from ${event.local}; the old one is closed`
            : `The new connection from ${event.local} failed (${event.reason}) — the old one stays`,
      );
    case 'dropped':
      return undefined;
  }
}

const MOVE_HOW = {
  mobike: 'moving the tunnel with MOBIKE',
  'new-ike-sa': 'building a new connection from there (the gateway has no MOBIKE)',
  negotiating: 'the connection still being set up continues from there',
} as const;

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s === 1 ? '1 second' : `${s} seconds`;
}

/**
 * The milestones a state change adds: the address, routes and DNS once connected, the retry when
 * reconnecting, and how a connection that ran ended. `previous` tells a real change from a repeat
 * (settings changes announce the same state again).
 */
export function stateTimelineEntries(
  previous: TunnelState | undefined,
  state: TunnelState,
  at: number,
): TimelineEntry[] {
  const changed = previous?.state !== state.state;
  switch (state.state) {
    case 'connected': {
      if (!changed && previous?.state === 'connected' && previous.since === state.since) return [];
      const addresses = [state.virtualIp, ...(state.virtualIp6 ? [state.virtualIp6] : [])];
      const routes =
        state.routes.length === 0
          ? 'No routes through the tunnel'
          : state.routes.includes('0.0.0.0/1') || state.routes.includes('0.0.0.0/0')
            ? `All traffic goes through the tunnel (${state.tun})`
            : `Routes through the tunnel: ${state.routes.join(', ')}`;
      return [
        { at, kind: 'virtual-ip', text: `The gateway assigned ${addresses.join(' and ')}` },
        { at, kind: 'routes', text: routes },
        {
          at,
          kind: 'dns',
          text:
            state.dns.length > 0
              ? `DNS through the tunnel: ${state.dns.join(', ')}`
              : 'The gateway sent no DNS servers — keeping the current ones',
        },
      ];
    }
    case 'reconnecting':
      if (!changed && previous?.state === 'reconnecting' && previous.attempt === state.attempt)
        return [];
      return [
        {
          at,
          kind: 'reconnecting',
          text: `Connection lost (${state.reason}) — reconnecting, attempt ${state.attempt}`,
        },
      ];
    case 'disconnected':
    case 'error': {
      if (!changed || previous === undefined) return [];
      if (previous.state === 'disconnected' || previous.state === 'error') return [];
      const text =
        state.state === 'error'
          ? `Closed: ${state.message}`
          : state.reason === 'user' || state.reason === 'deleted-by-us'
            ? 'Disconnected'
            : `Closed (${state.reason})`;
      return [{ at, kind: 'closed', text }];
    }
    case 'connecting':
    case 'disconnecting':
      return [];
  }
}
