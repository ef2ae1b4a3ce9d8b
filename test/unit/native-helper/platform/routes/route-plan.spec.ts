import { describe, expect, it } from 'vitest';
import { cidrToRange } from '../../../../../native-helper/ike/traffic-selectors.js';
import {
  chooseOuterRoute,
  hostRoute,
  type KernelRoute,
  insideTunnel,
  planRoutes,
  rangeToCidrs,
} from '../../../../../native-helper/platform/routes/route-plan.js';

describe('route planning', () => {
  it('splits arbitrary ranges into the fewest CIDRs', () => {
    expect(rangeToCidrs('10.0.0.0', '10.0.0.255')).toEqual(['10.0.0.0/24']);
    expect(rangeToCidrs('10.0.0.1', '10.0.0.6')).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6/32',
    ]);
    expect(rangeToCidrs('0.0.0.0', '255.255.255.255')).toEqual(['0.0.0.0/0']);
    expect(rangeToCidrs('fd00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual(['fd00::/8']);
  });

  it('full tunnel: two halves instead of replacing the default route, the gateway pinned, IPv6 blocked', () => {
    const plan = planRoutes([cidrToRange('0.0.0.0/0')], '198.51.100.10');
    expect(plan).toEqual({
      tunnel: ['0.0.0.0/1', '128.0.0.0/1'],
      tunnel6: ['::/1', '8000::/1'],
      pinServer: true,
    });
  });

  it('split tunnel: only the narrowed networks; the gateway pinned only when it lies inside them', () => {
    expect(planRoutes([cidrToRange('10.99.0.0/24')], '198.51.100.10')).toEqual({
      tunnel: ['10.99.0.0/24'],
      tunnel6: [],
      pinServer: false,
    });
    expect(planRoutes([cidrToRange('10.0.0.0/8')], '10.1.2.3').pinServer).toBe(true);
  });

  it('IPv6 selectors from the gateway are routed as such (and not blocked)', () => {
    const plan = planRoutes([cidrToRange('0.0.0.0/0'), cidrToRange('::/0')], '198.51.100.10');
    expect(plan.tunnel6).toEqual(['::/1', '8000::/1']);
    expect(
      planRoutes([cidrToRange('0.0.0.0/0'), cidrToRange('fd00::/8')], '198.51.100.10').tunnel6,
    ).toEqual(['fd00::/8']);
  });

  it('an IPv6 gateway is pinned outside a full tunnel too (IPv4-only and dual-stack selectors)', () => {
    // IPv4 full tunnel: IPv6 goes into the TUN (::/1 + 8000::/1) — the gateway itself must not
    expect(planRoutes([cidrToRange('0.0.0.0/0')], '2001:db8::10')).toEqual({
      tunnel: ['0.0.0.0/1', '128.0.0.0/1'],
      tunnel6: ['::/1', '8000::/1'],
      pinServer: true,
    });
    expect(
      planRoutes([cidrToRange('0.0.0.0/0'), cidrToRange('::/0')], '2001:db8::10').pinServer,
    ).toBe(true);
    // split IPv6 selectors: pinned only when the gateway lies inside them
    expect(planRoutes([cidrToRange('fd00::/8')], '2001:db8::10').pinServer).toBe(false);
    expect(planRoutes([cidrToRange('2001:db8::/32')], '2001:db8::10').pinServer).toBe(true);
    // an IPv4 prefix never pins an IPv6 gateway, nor the other way round
    expect(planRoutes([cidrToRange('10.0.0.0/8')], '2001:db8::10').pinServer).toBe(false);
    expect(planRoutes([cidrToRange('::/0')], '198.51.100.10').pinServer).toBe(false);
  });

  it('the host route of a gateway: /32 for IPv4, "-6" and /128 for IPv6', () => {
    expect(hostRoute('198.51.100.10', ['via', '192.0.2.1', 'dev', 'eth0'])).toEqual([
      '198.51.100.10/32',
      'via',
      '192.0.2.1',
      'dev',
      'eth0',
    ]);
    expect(hostRoute('2001:db8::10', ['via', 'fe80::1', 'dev', 'eth0'])).toEqual([
      '-6',
      '2001:db8::10/128',
      'via',
      'fe80::1',
      'dev',
      'eth0',
    ]);
  });

  it('a redirect target needs a pin exactly when the plan routes it into the tunnel', () => {
    const plan = planRoutes([cidrToRange('10.0.0.0/8')], '198.51.100.10');
    expect(insideTunnel(plan, '10.20.30.40')).toBe(true);
    expect(insideTunnel(plan, '203.0.113.7')).toBe(false);
    expect(insideTunnel(plan, '2001:db8::7')).toBe(false);
    const full = planRoutes([cidrToRange('0.0.0.0/0')], '198.51.100.10');
    expect(insideTunnel(full, '203.0.113.7')).toBe(true);
    expect(insideTunnel(full, '2001:db8::7')).toBe(true);
  });
});

describe('the path to the gateway outside the tunnel', () => {
  // `ip -j route show table main` of a full tunnel on two uplinks, the gateway pinned via eth0
  const FULL: KernelRoute[] = [
    { dst: 'default', gateway: '203.0.113.1', dev: 'eth0', metric: 100, flags: [] },
    { dst: 'default', gateway: '192.0.2.1', dev: 'wlan0', metric: 200, flags: [] },
    { dst: '0.0.0.0/1', dev: 'tsunagi0', prefsrc: '10.10.10.1', flags: [] },
    { dst: '128.0.0.0/1', dev: 'tsunagi0', prefsrc: '10.10.10.1', flags: [] },
    { dst: '198.51.100.10', gateway: '203.0.113.1', dev: 'eth0', flags: [] },
    { dst: '203.0.113.0/24', dev: 'eth0', prefsrc: '203.0.113.2', flags: [] },
    { dst: '192.0.2.0/24', dev: 'wlan0', prefsrc: '192.0.2.2', flags: [] },
  ];
  const PIN = ['198.51.100.10/32', 'via', '203.0.113.1', 'dev', 'eth0'];

  it('never the TUN, even when the kernel dropped the pin (link down: only the TUN covers it)', () => {
    const eth0Gone = FULL.filter((r) => r.dev !== 'eth0');
    expect(chooseOuterRoute(eth0Gone, '198.51.100.10', 'tsunagi0', [PIN])).toEqual({
      path: ['via', '192.0.2.1', 'dev', 'wlan0'],
      dev: 'wlan0',
    });
    // nothing but the tunnel left: no path (not the tunnel)
    const onlyTun = FULL.filter((r) => r.dev === 'tsunagi0');
    expect(chooseOuterRoute(onlyTun, '198.51.100.10', 'tsunagi0')).toBeUndefined();
  });

  it('our own pin does not hide a better default route; a pin of the user is a route like any other', () => {
    const better = [{ dst: 'default', gateway: '192.0.2.1', dev: 'wlan0', metric: 50 }, ...FULL];
    expect(chooseOuterRoute(better, '198.51.100.10', 'tsunagi0', [PIN])?.path).toEqual([
      'via',
      '192.0.2.1',
      'dev',
      'wlan0',
    ]);
    // without it being ours, the /32 wins (longest prefix), as in the kernel
    expect(chooseOuterRoute(better, '198.51.100.10', 'tsunagi0', [])?.path).toEqual([
      'via',
      '203.0.113.1',
      'dev',
      'eth0',
    ]);
    // the lowest metric among the default routes
    expect(chooseOuterRoute(FULL, '198.51.100.10', 'tsunagi0', [PIN])?.dev).toBe('eth0');
  });

  it('skips next hops whose link is down, non-unicast routes; takes a route’s own src; multipath', () => {
    const routes: KernelRoute[] = [
      { dst: 'default', gateway: '203.0.113.1', dev: 'eth0', metric: 100, flags: ['linkdown'] },
      { dst: '198.51.100.0/24', type: 'unreachable', flags: [] },
      {
        dst: 'default',
        metric: 300,
        prefsrc: '192.0.2.9',
        nexthops: [
          { gateway: '10.0.0.1', dev: 'tsunagi0' },
          { gateway: '192.0.2.1', dev: 'wlan0', flags: [] },
        ],
      },
    ];
    expect(chooseOuterRoute(routes, '198.51.100.10', 'tsunagi0')).toEqual({
      path: ['via', '192.0.2.1', 'dev', 'wlan0'],
      dev: 'wlan0',
      prefsrc: '192.0.2.9',
    });
  });

  it('IPv6: ::/0 and the pinned /128 of ours', () => {
    const routes: KernelRoute[] = [
      { dst: 'default', gateway: 'fe80::1', dev: 'eth0', metric: 1024 },
      { dst: '::/1', dev: 'tsunagi0', metric: 1024 },
      { dst: '2001:db8::10', gateway: 'fe80::1', dev: 'eth0', metric: 1024 },
    ];
    const pin = ['-6', '2001:db8::10/128', 'via', 'fe80::1', 'dev', 'eth0'];
    expect(chooseOuterRoute(routes, '2001:db8::10', 'tsunagi0', [pin])).toEqual({
      path: ['via', 'fe80::1', 'dev', 'eth0'],
      dev: 'eth0',
    });
    expect(chooseOuterRoute(routes.slice(1), '2001:db8::10', 'tsunagi0', [pin])).toBeUndefined();
  });
});
