/** The connection timeline in plain words: every IKE event kind, state milestones, the driver. */
import { describe, expect, it } from 'vitest';
import {
  ikeTimelineEntry,
  stateTimelineEntries,
} from '../../../../native-helper/daemon/timeline.js';
import { connectionEvents } from '../../../../native-helper/daemon/tunnel-driver.js';
import type { IkeTimelineEvent } from '../../../../native-helper/ike/ike-events.js';
import type {
  LogComponent,
  LogLevel,
  TimelineEntry,
  TunnelState,
} from '../../../../native-helper/ipc/protocol.js';
import type { TunnelUp } from '../../../../native-helper/tunnel/states/types.js';
import { target } from '../tunnel/doubles.js';

const AT = 1_700_000_000_000;

describe('ikeTimelineEntry', () => {
  const cases: [IkeTimelineEvent, TimelineEntry['kind'], string][] = [
    [
      { kind: 'ike-sa-init-sent', to: { address: '198.51.100.10', port: 500 }, attempt: 0 },
      'ike-sa-init-sent',
      'Contacting the gateway at 198.51.100.10:500 (IKE_SA_INIT)',
    ],
    [
      { kind: 'ike-sa-init-sent', to: { address: '2001:db8::1', port: 500 }, attempt: 2 },
      'ike-sa-init-sent',
      'Contacting the gateway at [2001:db8::1]:500 again (try 3)',
    ],
    [
      { kind: 'cookie-requested' },
      'cookie-requested',
      'The gateway is busy and asked for a cookie — sent again',
    ],
    [
      { kind: 'invalid-ke', group: 19 },
      'invalid-ke',
      'The gateway prefers ECP-256 for the key exchange — retried',
    ],
    [
      { kind: 'invalid-ke', group: 99 },
      'invalid-ke',
      'The gateway prefers group 99 for the key exchange — retried',
    ],
    [
      { kind: 'redirected', to: 'vpn2.example.org' },
      'redirected',
      'The gateway redirected us to vpn2.example.org',
    ],
    [
      { kind: 'nat-detected', local: true, remote: false, forced: true },
      'nat-detected',
      'NAT detected on our side — moved to UDP 4500',
    ],
    [
      { kind: 'nat-detected', local: false, remote: true, forced: true },
      'nat-detected',
      "NAT detected on the gateway's side — moved to UDP 4500",
    ],
    [
      { kind: 'nat-detected', local: true, remote: true, forced: false },
      'nat-detected',
      'NAT detected on both sides — moved to UDP 4500',
    ],
    [
      { kind: 'nat-detected', local: false, remote: false, forced: true },
      'nat-detected',
      'No NAT detected — using UDP 4500 anyway (ESP always travels in UDP)',
    ],
    [
      { kind: 'nat-detected', local: false, remote: false, forced: false },
      'nat-detected',
      'No NAT detected',
    ],
    [{ kind: 'floated-to-natt' }, 'floated-to-natt', 'Moved to UDP 4500 (NAT traversal)'],
    [
      { kind: 'authenticated', peer: 'vpn.example.org', method: 'certificate' },
      'authenticated',
      'Authenticated gateway vpn.example.org (certificate)',
    ],
    [
      { kind: 'authenticated', peer: 'vpn.lab.test', method: 'psk' },
      'authenticated',
      'Authenticated gateway vpn.lab.test (pre-shared key)',
    ],
    [{ kind: 'eap-round', round: 2 }, 'eap-round', 'Signing in with EAP (round 2)'],
    [
      { kind: 'established', ike: 'aes256gcm16-prfsha384-x25519', esp: 'aes256gcm16' },
      'established',
      'Tunnel established — IKE aes256gcm16-prfsha384-x25519, ESP aes256gcm16',
    ],
    [
      { kind: 'child-rekeyed', initiator: 'peer', spiIn: 0x1234 },
      'child-rekeyed',
      'Child SA rekeyed by the gateway',
    ],
    [
      { kind: 'child-rekeyed', initiator: 'us', spiIn: 0x1234 },
      'child-rekeyed',
      'Child SA rekeyed',
    ],
    [{ kind: 'ike-rekeyed', initiator: 'peer' }, 'ike-rekeyed', 'IKE SA rekeyed by the gateway'],
    [{ kind: 'ike-rekeyed', initiator: 'us' }, 'ike-rekeyed', 'IKE SA rekeyed'],
    [
      { kind: 'mobike-update', local: { address: '10.1.2.3', port: 4500 } },
      'mobike-update',
      'Moved to 10.1.2.3:4500 (MOBIKE)',
    ],
    [{ kind: 'dpd-sent' }, 'dpd-sent', 'Dead-peer check sent'],
    [
      { kind: 'retransmit', exchange: 'IKE_AUTH', attempt: 3 },
      'retransmit',
      'No answer to IKE_AUTH yet — sent again (attempt 3)',
    ],
    [{ kind: 'peer-delete', what: 'ike' }, 'peer-delete', 'The gateway closed the connection'],
    [
      { kind: 'peer-delete', what: 'child' },
      'peer-delete',
      'The gateway deleted the Child SA (the tunnel itself)',
    ],
  ];
  it.each(cases)('%j → %s', (event, kind, text) => {
    expect(ikeTimelineEntry(event, AT)).toEqual({ at: AT, kind, text });
  });

  it('dropped packets are not milestones', () => {
    expect(ikeTimelineEntry({ kind: 'dropped', reason: 'bad ICV' }, AT)).toBeUndefined();
  });
});

const connected: TunnelState = {
  state: 'connected',
  profile: 'Lab',
  server: 'vpn.lab.test',
  gateway: '198.51.100.10',
  virtualIp: '10.10.10.1',
  dns: ['10.99.0.53'],
  tun: 'tsunagi0',
  ike: 'aes256gcm16-prfsha256-x25519',
  esp: 'aes256gcm16',
  routes: ['0.0.0.0/1', '128.0.0.0/1'],
  blocking: true,
  since: AT,
};
const connecting: TunnelState = {
  state: 'connecting',
  profile: 'Lab',
  server: 'vpn.lab.test',
  gateway: '198.51.100.10',
  blocking: true,
  since: AT,
};

describe('connection timeline events', () => {
  it('network-changed says what the check of the path found', () => {
    expect(
      ikeTimelineEntry(
        {
          kind: 'network-changed',
          path: 'moved',
          local: '10.0.5.2',
          previous: '192.0.2.2',
          via: 'mobike',
        },
        AT,
      ),
    ).toEqual({
      at: AT,
      kind: 'network-changed',
      text: 'Network changed — the path to the gateway now leaves from 10.0.5.2 (was 192.0.2.2): moving the tunnel with MOBIKE',
    });
    expect(
      ikeTimelineEntry(
        {
          kind: 'network-changed',
          path: 'moved',
          local: '2001:db8::2',
          previous: '192.0.2.2',
          via: 'mobike',
          mtu: 1280,
        },
        AT,
      )?.text,
    ).toBe(
      'Network changed — the path to the gateway now leaves from 2001:db8::2 (was 192.0.2.2): moving the tunnel with MOBIKE, tunnel MTU now 1280',
    );
    expect(
      ikeTimelineEntry(
        {
          kind: 'network-changed',
          path: 'moved',
          local: '10.0.5.2',
          previous: '192.0.2.2',
          via: 'new-ike-sa',
        },
        AT,
      )?.text,
    ).toBe(
      'Network changed — the path to the gateway now leaves from 10.0.5.2 (was 192.0.2.2): building a new connection from there (the gateway has no MOBIKE)',
    );
    expect(
      ikeTimelineEntry({ kind: 'network-changed', path: 'unchanged', local: '192.0.2.2' }, AT)
        ?.text,
    ).toBe('Network changed — the path to the gateway is unchanged (still from 192.0.2.2)');
    expect(
      ikeTimelineEntry(
        { kind: 'network-changed', path: 'none', detail: 'network is unreachable' },
        AT,
      )?.text,
    ).toBe(
      'Network changed — no route to the gateway right now (network is unreachable); waiting for the network',
    );
  });

  it('wake says how long we slept; make-before-break is a reconnecting milestone', () => {
    expect(ikeTimelineEntry({ kind: 'wake', sleptMs: 12_400 }, AT)).toEqual({
      at: AT,
      kind: 'wake',
      text: 'Woke up after 12 seconds — checking the gateway at once',
    });
    expect(
      ikeTimelineEntry({ kind: 'reestablish', phase: 'started', local: '192.0.2.2' }, AT),
    ).toMatchObject({ kind: 'reconnecting' });
    expect(
      ikeTimelineEntry(
        { kind: 'reestablish', phase: 'failed', local: '192.0.2.2', reason: 'no answer' },
        AT,
      )?.text,
    ).toBe('The new connection from 192.0.2.2 failed (no answer) — the old one stays');
  });

  it('dpd-timeout says after how long', () => {
    expect(ikeTimelineEntry({ kind: 'dpd-timeout', afterMs: 1_200 }, AT)).toEqual({
      at: AT,
      kind: 'dpd-timeout',
      text: 'The gateway stopped answering liveness checks — no answer for 1 second',
    });
    expect(ikeTimelineEntry({ kind: 'dpd-timeout', afterMs: 165_300 }, AT)?.text).toBe(
      'The gateway stopped answering liveness checks — no answer for 165 seconds',
    );
  });
});

describe('stateTimelineEntries', () => {
  it('connected adds the virtual IP, the routes and the DNS servers', () => {
    expect(stateTimelineEntries(connecting, connected, AT)).toEqual([
      { at: AT, kind: 'virtual-ip', text: 'The gateway assigned 10.10.10.1' },
      { at: AT, kind: 'routes', text: 'All traffic goes through the tunnel (tsunagi0)' },
      { at: AT, kind: 'dns', text: 'DNS through the tunnel: 10.99.0.53' },
    ]);
    const split: TunnelState = {
      ...connected,
      virtualIp6: 'fd00::2',
      routes: ['10.0.0.0/8'],
      dns: [],
    };
    expect(stateTimelineEntries(connecting, split, AT).map((e) => e.text)).toEqual([
      'The gateway assigned 10.10.10.1 and fd00::2',
      'Routes through the tunnel: 10.0.0.0/8',
      'The gateway sent no DNS servers — keeping the current ones',
    ]);
  });

  it('the same state announced again (settings changed) adds nothing', () => {
    expect(stateTimelineEntries(connected, { ...connected, blocking: false }, AT)).toEqual([]);
    const r: TunnelState = {
      state: 'reconnecting',
      profile: 'Lab',
      server: 'vpn.lab.test',
      gateway: '198.51.100.10',
      attempt: 2,
      reason: 'peer unreachable',
      blocking: true,
      since: AT,
    };
    expect(stateTimelineEntries(connected, r, AT)).toEqual([
      {
        at: AT,
        kind: 'reconnecting',
        text: 'Connection lost (peer unreachable) — reconnecting, attempt 2',
      },
    ]);
    expect(stateTimelineEntries(r, { ...r, blocking: false }, AT)).toEqual([]);
    expect(stateTimelineEntries(r, { ...r, attempt: 3 }, AT)).toHaveLength(1);
  });

  it('a connection that ran ends with `closed`; an idle helper adds nothing', () => {
    const down: TunnelState = { state: 'disconnected', reason: 'user', blocking: false };
    expect(stateTimelineEntries(connected, down, AT)).toEqual([
      { at: AT, kind: 'closed', text: 'Disconnected' },
    ]);
    const failed: TunnelState = {
      state: 'error',
      code: 'auth-failed',
      message: 'the gateway refused our credentials',
      fix: 'Check the PSK.',
      blocking: true,
    };
    expect(stateTimelineEntries(connecting, failed, AT)).toEqual([
      { at: AT, kind: 'closed', text: 'Closed: the gateway refused our credentials' },
    ]);
    expect(stateTimelineEntries(undefined, down, AT)).toEqual([]);
    expect(stateTimelineEntries(failed, down, AT)).toEqual([]);
    expect(stateTimelineEntries(down, connecting, AT)).toEqual([]);
  });
});

describe("connectionEvents (the real driver's mapping)", () => {
  function record() {
    const logs: [string, LogComponent | undefined, LogLevel | undefined][] = [];
    const timeline: TimelineEntry[] = [];
    const ups: TunnelUp[] = [];
    const reconnects: [number, string][] = [];
    const redirects: string[] = [];
    const events = connectionEvents(target(), {
      up: (u) => ups.push(u),
      redirect: (address) => {
        redirects.push(address);
        return address === '192.0.2.66' ? Promise.reject(new Error('refused')) : Promise.resolve();
      },
      reconnecting: (attempt, reason) => reconnects.push([attempt, reason]),
      closed: () => undefined,
      log: (text, component, level) => logs.push([text, component, level]),
      timeline: (e) => timeline.push(e),
    });
    return { events, logs, timeline, ups, reconnects, redirects };
  }

  it('the float to 4500 right after NAT detection is not a second milestone', () => {
    const r = record();
    r.events.timeline({ kind: 'nat-detected', local: true, remote: false, forced: true }, AT);
    r.events.timeline({ kind: 'floated-to-natt' }, AT);
    r.events.timeline({ kind: 'floated-to-natt' }, AT);
    expect(r.timeline.map((e) => e.kind)).toEqual(['nat-detected', 'floated-to-natt']);
    expect(r.logs).toEqual([['moved to UDP 4500 (NAT traversal)', 'ike', 'debug']]);
  });

  it('IKE events become timeline entries, never an `ike: {json}` log line', () => {
    const r = record();
    r.events.timeline({ kind: 'dpd-sent' }, AT);
    r.events.timeline({ kind: 'dropped', reason: 'bad ICV' }, AT);
    expect(r.timeline).toEqual([{ at: AT, kind: 'dpd-sent', text: 'Dead-peer check sent' }]);
    expect(r.logs).toEqual([['dropped a message: bad ICV', 'ike', 'debug']]);
  });

  it('the connection log is the tunnel component; reconnects are milestones; connected is up', () => {
    const r = record();
    r.events.log('UDP error: boom');
    r.events.state({
      state: 'connecting',
      server: 'vpn.lab.test',
      address: '192.0.2.9',
      local: '',
    });
    r.events.state({
      state: 'reconnecting',
      attempt: 1,
      reason: 'peer unreachable',
      retryInMs: 2000,
    });
    r.events.state({
      state: 'connected',
      server: 'vpn.lab.test',
      virtualIp: '10.10.10.1',
      virtualIp6: 'fd00::2',
      dns: [],
      mtu: 1400,
      ike: 'i',
      esp: 'e',
      tun: 'tsunagi0',
      routes: [],
      since: AT,
    });
    expect(r.logs).toEqual([
      ['UDP error: boom', 'tunnel', undefined],
      [
        'the server resolved to 192.0.2.9, not 198.51.100.10: the firewall only allows the latter',
        'tunnel',
        'warn',
      ],
    ]);
    expect(r.timeline.map((e) => [e.kind, e.text])).toEqual([
      ['reconnecting', 'Connection lost (peer unreachable) — trying again in 2 s (attempt 1)'],
    ]);
    // the machine hears it too: the helper's state says reconnecting, not connected
    expect(r.reconnects).toEqual([[1, 'peer unreachable']]);
    expect(r.ups).toEqual([
      {
        virtualIp: '10.10.10.1',
        virtualIp6: 'fd00::2',
        dns: [],
        tun: 'tsunagi0',
        ike: 'i',
        esp: 'e',
        routes: [],
      },
    ]);
  });

  it("a redirect goes to the machine's firewall, and its answer comes back", async () => {
    const r = record();
    await expect(r.events.redirect?.('203.0.113.7')).resolves.toBeUndefined();
    await expect(r.events.redirect?.('192.0.2.66')).rejects.toThrow('refused');
    expect(r.redirects).toEqual(['203.0.113.7', '192.0.2.66']);
  });

  it('network changes and DPD timeouts from the connection are milestones', () => {
    const r = record();
    r.events.timeline({ kind: 'network-changed', path: 'unchanged', local: '192.0.2.2' }, AT);
    r.events.timeline({ kind: 'dpd-timeout', afterMs: 38_400 }, AT);
    expect(r.timeline).toEqual([
      {
        at: AT,
        kind: 'network-changed',
        text: 'Network changed — the path to the gateway is unchanged (still from 192.0.2.2)',
      },
      {
        at: AT,
        kind: 'dpd-timeout',
        text: 'The gateway stopped answering liveness checks — no answer for 38 seconds',
      },
    ]);
  });
});
