import { describe, expect, it } from 'vitest';
import { renderNftables, NftablesFirewall } from '../../../../native-helper/firewall/nftables.js';
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
    ]);
    const text = renderNftables(plan);
    expect(text).toContain('policy drop;');
    expect(text).toContain('ip daddr 198.51.100.10 udp dport { 500, 4500 } accept');
    expect(text).toContain('ip daddr 198.51.100.10 meta l4proto esp accept');
    expect(text).not.toContain('oifname "tsunagi');
    // atomic replacement: the old table is deleted in the same script
    expect(
      text.startsWith('table inet tsunagi {}\ndelete table inet tsunagi\ntable inet tsunagi {'),
    ).toBe(true);
  });

  it('blocked without a known gateway lets nothing but local essentials out', () => {
    const plan = planFirewall({ kind: 'blocked', allowLan: false });
    if (plan.kind !== 'filter') throw new Error('expected a filter');
    expect(kinds(plan.output)).not.toContain('accept:gateway');
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
    const text = renderNftables(plan);
    expect(text).toContain('oifname "tsunagi0" ip daddr 10.99.0.53 udp dport 53 accept');
    expect(text).toContain('oifname "tsunagi0" ip6 daddr fd00::53 tcp dport 53 accept');
    expect(text.indexOf('udp dport 53 drop')).toBeLessThan(
      text.indexOf('oifname "tsunagi0" accept'),
    );
    expect(text).toContain('iifname "tsunagi0" accept');
  });

  it('forwarded traffic (containers, VMs) never bypasses the kill switch', () => {
    const blocked = planFirewall({ kind: 'blocked', gateway: gw, allowLan: false });
    if (blocked.kind !== 'filter') throw new Error('expected a filter');
    // blocked: nothing is forwarded, not even to the gateway, and no "established" exception
    expect(blocked.forward).toEqual([]);
    const text = renderNftables(blocked);
    expect(text).toContain(
      '  chain forward {\n    type filter hook forward priority 0; policy drop;\n  }\n',
    );

    const lanOk = planFirewall({ kind: 'blocked', gateway: gw, allowLan: true });
    if (lanOk.kind !== 'filter') throw new Error('expected a filter');
    expect(kinds(lanOk.forward)).toEqual(['drop:any-dns', 'accept:lan', 'accept:lan']);

    const up = planFirewall({
      kind: 'connected',
      gateway: gw,
      tun: 'tsunagi0',
      dns: ['10.99.0.53'],
      allowLan: false,
    });
    if (up.kind !== 'filter') throw new Error('expected a filter');
    expect(kinds(up.forward)).toEqual(['accept:dns', 'drop:any-dns', 'accept:tunnel-either-way']);
    const forward = renderNftables(up).split('chain forward {')[1]!;
    expect(forward).toBe(
      '\n    type filter hook forward priority 0; policy drop;\n' +
        '    oifname "tsunagi0" ip daddr 10.99.0.53 udp dport 53 accept\n' +
        '    oifname "tsunagi0" ip daddr 10.99.0.53 tcp dport 53 accept\n' +
        '    udp dport 53 drop\n' +
        '    tcp dport 53 drop\n' +
        '    oifname "tsunagi0" accept\n' +
        '    iifname "tsunagi0" accept\n' +
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

  it('NftablesFirewall creates the table where there is none, and replaces it where there is one', async () => {
    const scripts: string[] = [];
    let failCreate = false;
    const fw = new NftablesFirewall((s) => {
      scripts.push(s.split('\n')[0]!);
      if (failCreate && s.startsWith('create table'))
        return Promise.reject(new Error('nft failed: File exists'));
      return Promise.resolve();
    });
    const blocked = { kind: 'blocked', gateway: gw, allowLan: false } as const;
    await fw.apply(blocked); // just started: most likely no table
    await fw.apply(blocked); // ours is there: replaced
    await fw.apply({ kind: 'allow-all' }); // removed
    await fw.apply(blocked); // gone: created
    expect(scripts).toEqual([
      'create table inet tsunagi',
      'table inet tsunagi {}',
      'table inet tsunagi {}',
      'create table inet tsunagi',
    ]);
    // a table that is there after all (another helper, a crash): the create changes nothing and
    // fails, then the replacing script runs
    scripts.length = 0;
    failCreate = true;
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
    expect(scripts).toEqual(['create table inet tsunagi', 'table inet tsunagi {}']);
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
