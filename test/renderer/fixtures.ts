// Realistic connection snapshots, stats and log lines for the renderer and UI tests: what main
// forwards from the helper (native-helper/ipc/protocol.ts) during one connection to a gateway.

import type {
  ConnectionSnapshot,
  HelperLink,
  LogEntry,
  Stats,
  TimelineEntry,
  TunnelState,
} from '../../electron/shared/ipc-schema';
import { IDLE_CONNECTION, ZERO_STATS } from './fake-tsunagi';

/** 09:12:03.000 local time on 24 Nov 2026, so clock strings do not depend on the time zone. */
export const T0 = new Date(2026, 10, 24, 9, 12, 3, 0).getTime();

export const HELPER_DOWN: HelperLink = {
  status: 'unavailable',
  reason: 'The Tsunagi service is not running.',
  fix: 'Start it with: sudo systemctl start tsunagi-helper',
};

export const CONNECTING: TunnelState = {
  state: 'connecting',
  profile: 'Office',
  server: 'vpn.example.com',
  gateway: '203.0.113.7',
  blocking: true,
  since: T0,
};

export function connectedSince(since: number): Extract<TunnelState, { state: 'connected' }> {
  return {
    state: 'connected',
    profile: 'Office',
    server: 'vpn.example.com',
    gateway: '203.0.113.7',
    virtualIp: '10.10.1.2',
    virtualIp6: 'fd00:10::2',
    dns: ['10.10.0.53', 'fd00:10::53'],
    tun: 'tsunagi0',
    ike: 'aes256gcm16-prfsha384-x25519',
    esp: 'aes256gcm16',
    routes: ['0.0.0.0/0', '::/0'],
    blocking: true,
    since,
  };
}

export const CONNECTED = connectedSince(T0 + 1_400);

export const RECONNECTING: Extract<TunnelState, { state: 'reconnecting' }> = {
  state: 'reconnecting',
  profile: 'Office',
  server: 'vpn.example.com',
  gateway: '203.0.113.7',
  attempt: 2,
  reason: 'The gateway stopped answering (dead peer detection).',
  blocking: true,
  since: T0 + 90_000,
};

export const DISCONNECTING: TunnelState = {
  state: 'disconnecting',
  profile: 'Office',
  blocking: false,
};

export const AUTH_ERROR: TunnelState = {
  state: 'error',
  code: 'auth-failed',
  message: 'The gateway did not accept the pre-shared key (AUTHENTICATION_FAILED after IKE_AUTH).',
  fix: 'Check the pre-shared key in the profile against the one configured on the gateway.',
  blocking: true,
};

// The helper's own sentences (native-helper/daemon/timeline.ts), as it words them.
export const TIMELINE: TimelineEntry[] = [
  {
    at: T0,
    kind: 'ike-sa-init-sent',
    text: 'Contacting the gateway at 203.0.113.7:500 (IKE_SA_INIT)',
  },
  { at: T0 + 210, kind: 'nat-detected', text: 'NAT detected on our side — moved to UDP 4500' },
  // said again by the float itself: the view shows the move once (timeline-view.ts)
  { at: T0 + 215, kind: 'floated-to-natt', text: 'Moved to UDP 4500 (NAT traversal)' },
  {
    at: T0 + 480,
    kind: 'authenticated',
    text: 'Authenticated gateway vpn.example.com (pre-shared key)',
  },
  {
    at: T0 + 1_020,
    kind: 'established',
    text: 'Tunnel established — IKE aes256gcm16-prfsha384-x25519, ESP aes256gcm16',
  },
  {
    at: T0 + 1_100,
    kind: 'virtual-ip',
    text: 'The gateway assigned 10.10.1.2 and fd00:10::2',
  },
  { at: T0 + 1_250, kind: 'routes', text: 'All traffic goes through the tunnel (tsunagi0)' },
  { at: T0 + 1_400, kind: 'dns', text: 'DNS through the tunnel: 10.10.0.53, fd00:10::53' },
  {
    at: T0 + 64_000,
    kind: 'network-changed',
    text: 'Network changed — the path to the gateway now leaves from 192.0.2.44 (was 192.0.2.17): moving the tunnel with MOBIKE',
  },
  { at: T0 + 64_180, kind: 'mobike-update', text: 'Moved to 192.0.2.44:4500 (MOBIKE)' },
  { at: T0 + 3_240_000, kind: 'child-rekeyed', text: 'Child SA rekeyed' },
];

/** The texts the timeline shows for TIMELINE.slice(0, n): the float is folded into the NAT line. */
export function shownTimelineTexts(n: number): string[] {
  return TIMELINE.slice(0, n)
    .filter((e) => e.kind !== 'floated-to-natt')
    .map((e) => e.text);
}

/** A connection the gateway refused (AUTH_ERROR): what the helper's timeline holds then. */
export const FAILED_TIMELINE: TimelineEntry[] = [
  {
    at: T0,
    kind: 'ike-sa-init-sent',
    text: 'Contacting the gateway at 203.0.113.7:500 (IKE_SA_INIT)',
  },
  { at: T0 + 210, kind: 'nat-detected', text: 'NAT detected on our side — moved to UDP 4500' },
  { at: T0 + 215, kind: 'floated-to-natt', text: 'Moved to UDP 4500 (NAT traversal)' },
  {
    at: T0 + 470,
    kind: 'closed',
    text: `Closed: ${AUTH_ERROR.state === 'error' ? AUTH_ERROR.message : ''}`,
  },
];

/** `count` stats one second apart from `start`, with rates that rise and fall like real traffic. */
export function statsSeries(count: number, start = T0 + 2_000): Stats[] {
  const out: Stats[] = [];
  let bytesIn = 0;
  let bytesOut = 0;
  for (let i = 0; i < count; i++) {
    const rateIn = Math.round(450_000 + 300_000 * Math.sin(i / 9) + 60_000 * Math.sin(i / 1.7));
    const rateOut = Math.round(70_000 + 40_000 * Math.cos(i / 13) + 12_000 * Math.sin(i / 2.1));
    bytesIn += rateIn;
    bytesOut += rateOut;
    out.push({
      ...ZERO_STATS,
      at: start + i * 1000,
      bytesIn,
      bytesOut,
      packetsIn: Math.round(bytesIn / 1200),
      packetsOut: Math.round(bytesOut / 400),
      rateIn,
      rateOut,
      ike: 'aes256gcm16-prfsha384-x25519',
      esp: 'aes256gcm16',
    });
  }
  return out;
}

export function connectedSnapshot(
  tunnel: TunnelState = CONNECTED,
  stats: Stats = statsSeries(1)[0]!,
): ConnectionSnapshot {
  return { ...IDLE_CONNECTION, tunnel, profileId: 'office', stats, timeline: TIMELINE };
}

export const LOG_LINES: LogEntry[] = [
  { at: T0 - 5_000, level: 'info', component: 'helper', text: 'tsunagi-helper 0.1.0 listening' },
  { at: T0 - 20, level: 'info', component: 'app', text: 'connect "Office" requested' },
  {
    at: T0,
    level: 'debug',
    component: 'ike',
    text: 'IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]',
  },
  {
    at: T0 + 210,
    level: 'info',
    component: 'ike',
    text: 'local host is behind NAT, sending keep alives',
  },
  {
    at: T0 + 300,
    level: 'warn',
    component: 'ike',
    text: 'retransmit 1 of request with message ID 1',
  },
  {
    at: T0 + 480,
    level: 'info',
    component: 'ike',
    text: 'authentication of vpn.example.com with pre-shared key successful',
  },
  {
    at: T0 + 1_000,
    level: 'info',
    component: 'firewall',
    text: 'kill switch: tunnel-only policy applied',
  },
  { at: T0 + 1_250, level: 'info', component: 'tunnel', text: 'routes installed via tsunagi0' },
  { at: T0 + 1_300, level: 'debug', component: 'esp', text: 'outbound SA 0xc1a2b3c4 installed' },
  {
    at: T0 + 95_000,
    level: 'error',
    component: 'ike',
    text: 'DPD: no answer from 203.0.113.7 after 5 retransmits; reconnecting',
  },
];
