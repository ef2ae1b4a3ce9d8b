/**
 * routes-linux against the real kernel, in a namespace this file creates, on both paths: rtnetlink
 * from the helper's process (the addon) and `ip` (TSUNAGI_ROUTE_NATIVE=0). The namespace has an
 * "uplink" (a veth with a default route via 10.77.0.1) and a "tunnel" (another veth): a full tunnel pins the gateway on the uplink, routes the halves of the address space
 * into the tunnel, and the disposer removes exactly that. Both paths must leave the same table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrToRange } from '../../../../../native-helper/ike/traffic-selectors.js';
import { planRoutes } from '../../../../../native-helper/platform/routes/route-plan.js';
import { parseRouteArgs } from '../../../../../native-helper/platform/routes/netlink.js';
import { createTestNamespace, netnsMissing, type TestNamespace } from '../../support/netns.js';

const missing = netnsMissing();
const GW = '198.51.100.10';
const TUN = 'tsntun0';

describe('parseRouteArgs (the journal format for netlink)', () => {
  it('takes what routes-linux records, and nothing else', () => {
    expect(parseRouteArgs(['0.0.0.0/1', 'dev', 'tsunagi0', 'src', '10.1.2.3'])).toEqual({
      family: 4,
      dst: '0.0.0.0',
      prefixLength: 1,
      dev: 'tsunagi0',
      src: '10.1.2.3',
    });
    expect(parseRouteArgs([`${GW}/32`, 'via', '10.77.0.1', 'dev', 'eth0'])).toEqual({
      family: 4,
      dst: GW,
      prefixLength: 32,
      gateway: '10.77.0.1',
      dev: 'eth0',
    });
    expect(parseRouteArgs(['-6', '::/1', 'dev', 'tsunagi0'])).toEqual({
      family: 6,
      dst: '::',
      prefixLength: 1,
      dev: 'tsunagi0',
    });
    expect(parseRouteArgs(['10.0.0.1'])).toEqual({ family: 4, dst: '10.0.0.1', prefixLength: 32 });
    // anything else goes to `ip`, which knows it
    expect(parseRouteArgs(['10.0.0.0/8', 'dev', 'x', 'metric', '5'])).toBeUndefined();
    expect(parseRouteArgs(['10.0.0.0/33', 'dev', 'x'])).toBeUndefined();
    expect(parseRouteArgs(['-6', '10.0.0.0/8', 'dev', 'x'])).toBeUndefined();
    expect(parseRouteArgs(['10.0.0.0/8', 'via', 'fd00::1'])).toBeUndefined();
    expect(parseRouteArgs(['default', 'dev', 'x'])).toBeUndefined();
    expect(parseRouteArgs(['10.0.0.0/8', 'dev'])).toBeUndefined();
    expect(parseRouteArgs([])).toBeUndefined();
  });
});

describe.skipIf(missing !== undefined)(
  missing
    ? `routes in a namespace — SKIPPED: needs ${missing}`
    : 'routes in a namespace (netlink and ip)',
  () => {
    let ns: TestNamespace;
    beforeAll(async () => {
      ns = await createTestNamespace('tsn-route');
      for (const argv of [
        ['ip', 'link', 'add', 'uplink0', 'mtu', '1450', 'type', 'veth', 'peer', 'uplink1'],
        ['ip', 'address', 'add', '10.77.0.2/24', 'dev', 'uplink0'],
        ['ip', 'link', 'set', 'uplink1', 'up'],
        ['ip', 'link', 'set', 'uplink0', 'up'],
        ['ip', 'route', 'add', 'default', 'via', '10.77.0.1', 'dev', 'uplink0'],
        ['ip', 'link', 'add', TUN, 'type', 'veth', 'peer', 'tsntun1'],
        ['ip', 'address', 'add', '10.99.0.7/32', 'dev', TUN],
        ['ip', 'link', 'set', 'tsntun1', 'up'],
        ['ip', 'link', 'set', TUN, 'up'],
      ])
        ns.sh(argv);
    });
    afterAll(() => ns?.dispose());

    const table = () => ns.sh(['ip', 'route', 'show', 'table', 'main']);

    it('the addon is what the helper uses when it is built; TSUNAGI_ROUTE_NATIVE=0 runs ip', async () => {
      expect(await ns.run([{ op: 'route-backend' }])).toEqual([{ ok: true, value: 'netlink' }]);
      expect(await ns.run([{ op: 'route-backend' }], { TSUNAGI_ROUTE_NATIVE: '0' })).toEqual([
        { ok: true, value: 'ip' },
      ]);
    });

    const tables: Record<string, string> = {};
    describe.each([
      ['netlink', {}],
      ['ip', { TSUNAGI_ROUTE_NATIVE: '0' }],
    ] as const)('through %s', (label, env) => {
      it('a full tunnel: the gateway pinned on the uplink, both halves into the TUN, all undone', async () => {
        const before = table();
        const plan = planRoutes([cidrToRange('0.0.0.0/0')], GW);
        const [path, mtu, applied, outside] = await ns.run(
          [
            { op: 'current-path', address: GW },
            { op: 'path-mtu', address: GW },
            {
              op: 'apply-routes',
              plan: { ...plan, tunnel6: [] },
              tun: TUN,
              src: '10.99.0.7',
              server: GW,
            },
            { op: 'path-outside', address: '203.0.113.9', tun: TUN },
          ],
          env,
        );
        expect(path).toEqual({ ok: true, value: ['via', '10.77.0.1', 'dev', 'uplink0'] });
        expect(mtu).toEqual({ ok: true, value: 1450 });
        expect(applied).toEqual({
          ok: true,
          value: [
            [`${GW}/32`, 'via', '10.77.0.1', 'dev', 'uplink0'],
            ['0.0.0.0/1', 'dev', TUN, 'src', '10.99.0.7'],
            ['128.0.0.0/1', 'dev', TUN, 'src', '10.99.0.7'],
          ],
        });
        // with the tunnel's routes in place the kernel would say "into the TUN"; the path outside
        // is the uplink, and the kernel picks the source there
        expect(outside).toEqual({
          ok: true,
          value: { source: '10.77.0.2', path: ['via', '10.77.0.1', 'dev', 'uplink0'] },
        });
        const up = table();
        expect(up).toContain(`${GW} via 10.77.0.1 dev uplink0`);
        expect(up).toContain(`0.0.0.0/1 dev ${TUN} scope link src 10.99.0.7`);
        expect(up).toContain(`128.0.0.0/1 dev ${TUN} scope link src 10.99.0.7`);
        tables[label] = up;
        // the state above lived in the child that exited: undo it from the journal's record
        expect(
          await ns.run(
            [{ op: 'remove-routes', routes: applied!.ok ? (applied.value as string[][]) : [] }],
            env,
          ),
        ).toEqual([{ ok: true }]);
        expect(table()).toBe(before);
      });

      it("pin keeps a redirect's gateway outside, repin moves it in one replace, dispose removes only ours", async () => {
        const before = table();
        // a host route of the user's: never ours, never removed
        ns.sh(['ip', 'route', 'add', '203.0.113.50/32', 'via', '10.77.0.1', 'dev', 'uplink0']);
        ns.sh(['ip', 'route', 'add', '10.77.1.0/24', 'dev', 'uplink0']);
        const plan = planRoutes([cidrToRange('0.0.0.0/0')], GW);
        const results = await ns.run(
          [
            {
              op: 'apply-routes',
              plan: { ...plan, tunnel6: [] },
              tun: TUN,
              src: '10.99.0.7',
              server: GW,
            },
            { op: 'pin', address: '203.0.113.50' },
            { op: 'pin', address: '203.0.113.60' },
            { op: 'repin', address: GW, path: ['via', '10.77.1.1', 'dev', 'uplink0'] },
            { op: 'repin', address: GW, path: ['via', '10.77.1.1', 'dev', 'uplink0'] },
            { op: 'dispose-routes' },
          ],
          env,
        );
        expect(results[1]).toEqual({
          ok: true,
          value: [
            [`${GW}/32`, 'via', '10.77.0.1', 'dev', 'uplink0'],
            ['0.0.0.0/1', 'dev', TUN, 'src', '10.99.0.7'],
            ['128.0.0.0/1', 'dev', TUN, 'src', '10.99.0.7'],
          ],
        });
        expect((results[2] as { value: string[][] }).value.at(-1)).toEqual([
          '203.0.113.60/32',
          'via',
          '10.77.0.1',
          'dev',
          'uplink0',
        ]);
        expect(results[3]).toEqual({ ok: true, value: true });
        expect(results[4]).toEqual({ ok: true, value: false });
        expect(results[5]).toEqual({ ok: true });
        const after = table();
        expect(after).toContain('203.0.113.50 via 10.77.0.1 dev uplink0');
        expect(after).not.toContain('203.0.113.60');
        expect(after).not.toContain(GW);
        ns.sh(['ip', 'route', 'del', '203.0.113.50/32']);
        ns.sh(['ip', 'route', 'del', '10.77.1.0/24']);
        expect(table()).toBe(before);
      });

      it('a route that cannot be added fails with the cause, and what was added is taken back', async () => {
        const before = table();
        const plan = { tunnel: ['10.50.0.0/16'], tunnel6: [], pinServer: false };
        const [result] = await ns.run(
          [{ op: 'apply-routes', plan, tun: 'nosuchdev0', server: GW }],
          env,
        );
        expect(result!.ok).toBe(false);
        expect((result as { error: string }).error).toMatch(
          /^cannot set the tunnel routes: .*(nosuchdev0|Cannot find device)/,
        );
        expect(table()).toBe(before);
      });
    });

    it('both paths left the same routes', () => {
      expect(tables.netlink).toBeDefined();
      expect(tables.netlink).toBe(tables.ip);
    });
  },
);
