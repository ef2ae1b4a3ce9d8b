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

export const RECONNECTING: TunnelState = {
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

export const TIMELINE: TimelineEntry[] = [
  { at: T0, kind: 'ike-sa-init-sent', text: 'IKE_SA_INIT sent to 203.0.113.7:500' },
  {
    at: T0 + 210,
    kind: 'nat-detected',
    text: 'NAT detected on our side: moved to UDP 4500',
  },
  { at: T0 + 215, kind: 'floated-to-natt', text: 'Floated to UDP port 4500' },
  {
    at: T0 + 480,
    kind: 'authenticated',
    text: 'Authenticated: the gateway proved it is vpn.example.com (PSK)',
  },
  { at: T0 + 1_020, kind: 'established', text: 'IKE SA and Child SA established' },
  { at: T0 + 1_100, kind: 'virtual-ip', text: 'Virtual IP 10.10.1.2 and fd00:10::2 assigned' },
  { at: T0 + 1_250, kind: 'routes', text: 'Routes installed: 0.0.0.0/0, ::/0 via tsunagi0' },
  { at: T0 + 1_400, kind: 'dns', text: 'DNS set to 10.10.0.53, fd00:10::53' },
  {
    at: T0 + 64_000,
    kind: 'mobike-update',
    text: 'Network changed: MOBIKE moved the tunnel to 192.0.2.44',
  },
  { at: T0 + 3_240_000, kind: 'child-rekeyed', text: 'Child SA rekeyed (new SPIs)' },
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
