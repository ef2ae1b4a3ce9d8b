import { describe, expect, it } from 'vitest';
import { cidrToRange } from '../../../../../native-helper/ike/traffic-selectors.js';
import {
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
});
