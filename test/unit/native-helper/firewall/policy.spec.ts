import { describe, expect, it } from 'vitest';
import {
  NftablesFirewall,
  renderElementChanges,
  renderFilter,
  renderNftables,
} from '../../../../native-helper/firewall/nftables.js';
import { planFirewall, type Rule } from '../../../../native-helper/firewall/policy.js';

const gw = { address: '198.51.100.10' };
const kinds = (rules: Rule[]) => rules.map((r) => `${r.verdict}:${r.match.kind}`);

describe('planFirewall', () => {
  it('allow-all removes the table', () => {
    expect(planFirewall({ kind: 'allow-all' })).toEqual({ kind: 'none' });
    expect(renderNftables({ kind: 'none' })).toBe(
      'table inet tsunagi {}\ndelete table inet tsunagi\n',
    );
  });

  it('blocked: loopback, DHCP, ND and IKE/ESP to the gateway only', () => {
    const plan = planFirewall({ kind: 'blocked', gateway: gw, allowLan: false });
    if (plan.kind !== 'filter') throw new Error('expected a filter');
    expect(kinds(plan.output)).toEqual([
      'accept:loopback',
      'accept:dhcp4',
      'accept:dhcp6',
      'accept:ndp',
      'accept:gateway',
      'accept:gateway',
      'accept:dns',
      'accept:dns',
      'drop:any-dns',
      'accept:interface',
    ]);
    const { table, elements } = renderFilter(plan);
    expect(table).toContain('policy drop;');
    expect(table).toContain('ip daddr @gateway4 udp dport { 500, 4500 } accept');
    expect(table).toContain('ip daddr @gateway4 meta l4proto esp accept');
    // the only addresses that may be reached: the gateway's; no TUN, no DNS server
    expect(elements).toEqual({
      gateway4: ['198.51.100.10'],
      gateway6: [],
      tunnels: [],
      dns4: [],
      dns6: [],
    });
    const text = renderNftables(plan);
    expect(text).toContain('add element inet tsunagi gateway4 { 198.51.100.10 }');
    expect(text).not.toContain('tsunagi0');
    // atomic replacement: the old table is deleted in the same script
    expect(
      text.startsWith('table inet tsunagi {}\ndelete table inet tsunagi\ntable inet tsunagi {'),
    ).toBe(true);
  });

  it('blocked without a known gateway lets nothing but local essentials out', () => {
    const plan = planFirewall({ kind: 'blocked', allowLan: false });
    if (plan.kind !== 'filter') throw new Error('expected a filter');
    expect(renderFilter(plan).elements).toEqual({
      gateway4: [],
      gateway6: [],
      tunnels: [],
      dns4: [],
      dns6: [],
    });
    expect(renderNftables(plan)).not.toContain('add element');
  });

  it('an IPv6 gateway goes into the IPv6 set', () => {
    const plan = planFirewall({
      kind: 'blocked',
      gateway: { address: '2001:db8::10' },
      allowLan: false,
    });
    if (plan.kind !== 'filter') throw new Error('expected a filter');
    const { table, elements } = renderFilter(plan);
    expect(elements.gateway4).toEqual([]);
    expect(elements.gateway6).toEqual(['2001:db8::10']);
    expect(table).toContain('ip6 saddr @gateway6 meta l4proto esp accept');
  });

  it('allow LAN drops DNS before the LAN accepts (no DNS leak to a LAN resolver)', () => {
    const plan = planFirewall({ kind: 'blocked', gateway: gw, allowLan: true });
    if (plan.kind !== 'filter') throw new Error('expected a filter');
    const k = kinds(plan.output);
    expect(k.indexOf('drop:any-dns')).toBeLessThan(k.indexOf('accept:lan'));
    expect(renderNftables(plan)).toContain('ip6 daddr { fe80::/10, fc00::/7, ff02::/16 } accept');
  });

  it('connected: DNS only to the tunnel servers through the TUN, then the TUN, IPv4 and IPv6', () => {
    const plan = planFirewall({
      kind: 'connected',
      gateway: gw,
      tun: 'tsunagi0',
      dns: ['10.99.0.53', 'fd00::53'],
      allowLan: false,
    });
    if (plan.kind !== 'filter') throw new Error('expected a filter');
    const k = kinds(plan.output);
    expect(k.slice(-4)).toEqual(['accept:dns', 'accept:dns', 'drop:any-dns', 'accept:interface']);
    const { table, elements } = renderFilter(plan);
    expect(table).toContain('oifname . ip daddr @dns4 udp dport 53 accept');
    expect(table).toContain('oifname . ip6 daddr @dns6 tcp dport 53 accept');
    expect(table.indexOf('udp dport 53 drop')).toBeLessThan(
      table.indexOf('oifname @tunnels accept'),
    );
    expect(table).toContain('iifname @tunnels accept');
    expect(elements).toEqual({
      gateway4: ['198.51.100.10'],
      gateway6: [],
      tunnels: ['"tsunagi0"'],
      dns4: ['"tsunagi0" . 10.99.0.53'],
      dns6: ['"tsunagi0" . fd00::53'],
    });
  });

  it('blocked and connected share their rules: going up adds set elements, going down removes them', () => {
    for (const allowLan of [false, true]) {
      const blocked = planFirewall({ kind: 'blocked', gateway: gw, allowLan });
      const up = planFirewall({
        kind: 'connected',
        gateway: gw,
        tun: 'tsunagi0',
        dns: ['10.99.0.53'],
        allowLan,
      });
      if (blocked.kind !== 'filter' || up.kind !== 'filter') throw new Error('expected filters');
      const b = renderFilter(blocked);
      const c = renderFilter(up);
      expect(c.table).toBe(b.table);
      expect(renderElementChanges(b.elements, c.elements)).toBe(
        'add element inet tsunagi tunnels { "tsunagi0" }\n' +
          'add element inet tsunagi dns4 { "tsunagi0" . 10.99.0.53 }\n',
      );
      expect(renderElementChanges(c.elements, b.elements)).toBe(
        'delete element inet tsunagi tunnels { "tsunagi0" }\n' +
          'delete element inet tsunagi dns4 { "tsunagi0" . 10.99.0.53 }\n',
      );
      expect(renderElementChanges(c.elements, c.elements)).toBe('');
    }
    // another gateway (a redirect) swaps one element
    const a = renderFilter(
      planFirewall({ kind: 'blocked', gateway: gw, allowLan: false }) as never,
    ).elements;
    const z = renderFilter(
      planFirewall({
        kind: 'blocked',
        gateway: { address: '203.0.113.7' },
        allowLan: false,
      }) as never,
    ).elements;
    expect(renderElementChanges(a, z)).toBe(
      'delete element inet tsunagi gateway4 { 198.51.100.10 }\n' +
        'add element inet tsunagi gateway4 { 203.0.113.7 }\n',
    );
  });

  it('forwarded traffic (containers, VMs) never bypasses the kill switch', () => {
    const blocked = planFirewall({ kind: 'blocked', gateway: gw, allowLan: false });
    if (blocked.kind !== 'filter') throw new Error('expected a filter');
    // blocked: nothing is forwarded (the TUN and DNS sets are empty), not even to the gateway,
    // and no "established" exception
    expect(kinds(blocked.forward)).toEqual([
      'accept:dns',
      'accept:dns',
      'drop:any-dns',
      'accept:tunnel-either-way',
    ]);
    const blockedForward = renderFilter(blocked).table.split('chain forward {')[1]!;
    expect(blockedForward).not.toContain('gateway');
    expect(renderFilter(blocked).elements.tunnels).toEqual([]);

    const lanOk = planFirewall({ kind: 'blocked', gateway: gw, allowLan: true });
    if (lanOk.kind !== 'filter') throw new Error('expected a filter');
    expect(kinds(lanOk.forward)).toEqual([
      'accept:dns',
      'accept:dns',
      'drop:any-dns',
      'accept:tunnel-either-way',
      'accept:lan',
      'accept:lan',
    ]);

    const up = planFirewall({
      kind: 'connected',
      gateway: gw,
      tun: 'tsunagi0',
      dns: ['10.99.0.53'],
      allowLan: false,
    });
    if (up.kind !== 'filter') throw new Error('expected a filter');
    const forward = renderFilter(up).table.split('chain forward {')[1]!;
    expect(forward).toBe(
      '\n    type filter hook forward priority 0; policy drop;\n' +
        '    oifname . ip daddr @dns4 udp dport 53 accept\n' +
        '    oifname . ip daddr @dns4 tcp dport 53 accept\n' +
        '    oifname . ip6 daddr @dns6 udp dport 53 accept\n' +
        '    oifname . ip6 daddr @dns6 tcp dport 53 accept\n' +
        '    udp dport 53 drop\n' +
        '    tcp dport 53 drop\n' +
        '    oifname @tunnels accept\n' +
        '    iifname @tunnels accept\n' +
        '  }\n}\n',
    );
    expect(forward).not.toContain('established');
  });

  it('refuses to render hostile names and addresses', () => {
    expect(() =>
      renderNftables(
        planFirewall({
          kind: 'connected',
          gateway: gw,
          tun: 'x"; flush ruleset',
          dns: [],
          allowLan: false,
        }),
      ),
    ).toThrow(/interface/);
    expect(() =>
      renderNftables(
        planFirewall({ kind: 'blocked', gateway: { address: '1.2.3.4 accept' }, allowLan: false }),
      ),
    ).toThrow(/address/);
  });

  it('NftablesFirewall creates the table where there is none, changes set elements where it can, replaces it otherwise', async () => {
    const scripts: string[] = [];
    let failElements = false;
    const fw = new NftablesFirewall((s) => {
      scripts.push(s.split('\n')[0]!);
      if (failElements && /^(add|delete) element/.test(s))
        return Promise.reject(new Error('nft failed: No such file or directory'));
      return Promise.resolve();
    });
    const blocked = { kind: 'blocked', gateway: gw, allowLan: false } as const;
    const connected = { ...blocked, kind: 'connected' as const, tun: 'tsunagi0', dns: [] };
    await fw.apply(blocked); // just started: most likely no table
    await fw.apply(blocked); // the same again: nothing to change
    await fw.apply(connected); // the same rules: the TUN added to a set
    await fw.apply(blocked); // and taken out again
    await fw.apply({ ...blocked, allowLan: true }); // other rules: replaced
    await fw.apply({ kind: 'allow-all' }); // removed
    await fw.apply(blocked); // gone: created
    expect(scripts).toEqual([
      'create table inet tsunagi',
      'add element inet tsunagi tunnels { "tsunagi0" }',
      'delete element inet tsunagi tunnels { "tsunagi0" }',
      'table inet tsunagi {}',
      'table inet tsunagi {}',
      'create table inet tsunagi',
    ]);
    // the elements were not what we thought (someone changed the table): replaced whole
    scripts.length = 0;
    failElements = true;
    await fw.apply(connected);
    expect(scripts).toEqual([
      'add element inet tsunagi tunnels { "tsunagi0" }',
      'table inet tsunagi {}',
    ]);
    failElements = false;
    // the table was found gone (a flush): the same policy is created again, not taken as there
    scripts.length = 0;
    const gone = new NftablesFirewall(
      (s) => {
        scripts.push(s.split('\n')[0]!);
        return Promise.resolve();
      },
      () => Promise.resolve(false),
    );
    await gone.apply(blocked);
    expect(await gone.intact(blocked)).toBe(false);
    await gone.apply(blocked);
    expect(scripts).toEqual(['create table inet tsunagi', 'create table inet tsunagi']);
    // a table that is there after all (another helper, a crash): the create changes nothing and
    // fails, then the replacing script runs
    scripts.length = 0;
    const fresh = new NftablesFirewall((s) => {
      scripts.push(s.split('\n')[0]!);
      return s.startsWith('create table')
        ? Promise.reject(new Error('nft failed: File exists'))
        : Promise.resolve();
    });
    await fresh.apply(blocked);
    expect(scripts).toEqual(['create table inet tsunagi', 'table inet tsunagi {}']);
    // a failed apply leaves the state unknown: the next one tries creating first again
    scripts.length = 0;
    const flaky = new NftablesFirewall((s) => {
      scripts.push(s.split('\n')[0]!);
      return Promise.reject(new Error('nft failed: injected'));
    });
    await expect(flaky.apply(blocked)).rejects.toThrow('injected');
    await expect(flaky.apply(blocked)).rejects.toThrow('injected');
    expect(scripts).toEqual([
      'create table inet tsunagi',
      'table inet tsunagi {}',
      'create table inet tsunagi',
      'table inet tsunagi {}',
    ]);
  });

  it('NftablesFirewall hands the whole script to nft in one run', async () => {
    const scripts: string[] = [];
    const fw = new NftablesFirewall((s) => {
      scripts.push(s);
      return Promise.resolve();
    });
    await fw.apply({ kind: 'blocked', gateway: gw, allowLan: false });
    await fw.apply({ kind: 'allow-all' });
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toContain('chain output');
    expect(scripts[0]).toContain('chain forward');
    expect(scripts[1]).not.toContain('chain');
  });
});
