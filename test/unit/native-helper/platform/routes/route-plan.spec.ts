import { describe, expect, it } from 'vitest';
import { cidrToRange } from '../../../../../native-helper/ike/traffic-selectors.js';
import {
  hostRoute,
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
