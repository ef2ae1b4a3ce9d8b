/**
 * routes-linux with `ip` replaced by a recording double: every route is handed to the crash
 * journal before it is added; the gateway's pin moves in one `ip route replace` (and is put back
 * when the kernel dropped it); a host route of the user's is never taken over; and the path
 * outside the tunnel comes from the main table without the TUN's routes.
 * The same functions over netlink run against a real namespace in routes-netlink.spec.ts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const h = vi.hoisted(() => {
  // the `ip` path (netlink is tested against a real namespace in routes-netlink.spec.ts)
  process.env.TSUNAGI_ROUTE_NATIVE = '0';
  return {
    calls: [] as string[],
    /** `ip` argument text → stdout (a thrown Error for a failure); unlisted: ''. */
    answers: {} as Record<string, string | Error>,
  };
});
vi.mock('node:child_process', async () => {
  const { promisify: p } = await import('node:util');
  const execFile = () => {
    throw new Error('only the promisified form is used');
  };
  Object.assign(execFile, {
    [p.custom]: (cmd: string, args: string[]) => {
      const text = args.join(' ');
      h.calls.push(`${cmd} ${text}`);
      const a = h.answers[text];
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve({ stdout: a ?? '', stderr: '' });
    },
  });
  return { execFile };
});
vi.mock('node:fs/promises', () => ({
  readFile: () => Promise.resolve('1\n'), // IPv6 off: no IPv6 routes in these tests
  writeFile: () => Promise.resolve(),
}));

const { applyRoutes, pathOutsideTunnel } =
  await import('../../../../../native-helper/platform/routes/routes-linux.js');
const { planRoutes } = await import('../../../../../native-helper/platform/routes/route-plan.js');
const { cidrToRange } = await import('../../../../../native-helper/ike/traffic-selectors.js');

const GW = '198.51.100.10';
const full = () => planRoutes([cidrToRange('0.0.0.0/0')], GW);
const record = () => (routes: readonly string[][]) => {
  h.calls.push(`journal ${routes.map((r) => r.join(' ')).join(' | ')}`);
  return Promise.resolve();
};

beforeEach(() => {
  h.calls.length = 0;
  h.answers = { [`route get ${GW}`]: `${GW} via 203.0.113.1 dev eth0 src 203.0.113.2 uid 0\n` };
});

describe('routes-linux', () => {
  it('journals every route before adding it (a kill in between can be undone)', async () => {
    const applied = await applyRoutes(full(), 'tsunagi0', '10.10.10.1', GW, undefined, record());
    const ip = h.calls.filter(
      (c) => !c.startsWith('journal') && !c.includes(' show ') && !c.includes(' get '),
    );
    expect(ip).toEqual([
      `ip route add ${GW}/32 via 203.0.113.1 dev eth0`,
      'ip route add 0.0.0.0/1 dev tsunagi0 src 10.10.10.1',
      'ip route add 128.0.0.0/1 dev tsunagi0 src 10.10.10.1',
    ]);
    for (const add of ip) {
      const route = add.replace('ip route add ', '');
      const journaled = h.calls.findIndex((c) => c.startsWith('journal') && c.includes(route));
      expect(journaled, route).toBeGreaterThanOrEqual(0);
      expect(journaled, route).toBeLessThan(h.calls.indexOf(add));
    }
    expect(applied.added).toHaveLength(3);
  });

  it('a host route of the user for the gateway is kept, not journaled, never ours', async () => {
    h.answers[`route show exact ${GW}/32`] = `${GW} via 203.0.113.254 dev eth0\n`;
    const applied = await applyRoutes(full(), 'tsunagi0', '10.10.10.1', GW, undefined, record());
    expect(h.calls.some((c) => c.includes(`add ${GW}/32`))).toBe(false);
    expect(h.calls.some((c) => c.startsWith('journal') && c.includes(`${GW}/32`))).toBe(false);
    expect(applied.added.map((r) => r[0])).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
  });

  it('repin moves our pin in one replace, and puts it back when the kernel dropped it', async () => {
    const applied = await applyRoutes(full(), 'tsunagi0', '10.10.10.1', GW, undefined, record());
    h.calls.length = 0;
    expect(await applied.repin(GW, ['via', '192.0.2.1', 'dev', 'wlan0'])).toBe(true);
    expect(h.calls).toEqual([
      expect.stringMatching(/^journal .*198\.51\.100\.10\/32 via 192\.0\.2\.1 dev wlan0/),
      `ip route replace ${GW}/32 via 192.0.2.1 dev wlan0`,
    ]);
    expect(applied.added[0]).toEqual([`${GW}/32`, 'via', '192.0.2.1', 'dev', 'wlan0']);
    h.calls.length = 0;
    // unchanged: replaced anyway (the kernel may have dropped it with its link), no journal
    expect(await applied.repin(GW, ['via', '192.0.2.1', 'dev', 'wlan0'])).toBe(false);
    expect(h.calls).toEqual([`ip route replace ${GW}/32 via 192.0.2.1 dev wlan0`]);
    // an address outside the tunnel's routes is not pinned at all (split tunnel)
    const split = await applyRoutes(
      planRoutes([cidrToRange('10.99.0.0/24')], GW),
      'tsunagi0',
      '10.10.10.1',
      GW,
    );
    h.calls.length = 0;
    expect(await split.repin(GW, ['via', '192.0.2.1', 'dev', 'wlan0'])).toBe(false);
    expect(h.calls).toEqual([]);
  });

  it('resource: the tunnel routes take the new virtual IP in place (journaled first), the pin is untouched', async () => {
    const applied = await applyRoutes(full(), 'tsunagi0', '10.10.10.1', GW, undefined, record());
    h.calls.length = 0;
    await applied.resource('10.10.10.2');
    expect(h.calls.filter((c) => c.startsWith('ip'))).toEqual([
      'ip route replace 0.0.0.0/1 dev tsunagi0 src 10.10.10.2',
      'ip route replace 128.0.0.0/1 dev tsunagi0 src 10.10.10.2',
    ]);
    expect(h.calls[0]).toMatch(/^journal .*0\.0\.0\.0\/1 dev tsunagi0 src 10\.10\.10\.2/);
    expect(applied.added.map((r) => r.join(' '))).toEqual([
      `${GW}/32 via 203.0.113.1 dev eth0`,
      '0.0.0.0/1 dev tsunagi0 src 10.10.10.2',
      '128.0.0.0/1 dev tsunagi0 src 10.10.10.2',
    ]);
  });

  it('pathOutsideTunnel: the main table without the TUN and our pin; the kernel picks the source', async () => {
    h.answers['-j route show table main'] = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1', dev: 'wlan0', metric: 200, flags: [] },
      { dst: '0.0.0.0/1', dev: 'tsunagi0', prefsrc: '10.10.10.1', flags: [] },
      { dst: '128.0.0.0/1', dev: 'tsunagi0', prefsrc: '10.10.10.1', flags: [] },
      { dst: GW, gateway: '203.0.113.1', dev: 'eth0', flags: ['linkdown'] },
    ]);
    h.answers[`-j route get ${GW} oif wlan0`] = JSON.stringify([
      { dst: GW, gateway: '192.0.2.1', dev: 'wlan0', prefsrc: '192.0.2.2', flags: [] },
    ]);
    expect(
      await pathOutsideTunnel(GW, 'tsunagi0', [[`${GW}/32`, 'via', '203.0.113.1', 'dev', 'eth0']]),
    ).toEqual({ source: '192.0.2.2', path: ['via', '192.0.2.1', 'dev', 'wlan0'] });
    // nothing but the tunnel: an error, never the tunnel
    h.answers['-j route show table main'] = JSON.stringify([
      { dst: '0.0.0.0/1', dev: 'tsunagi0', flags: [] },
    ]);
    await expect(pathOutsideTunnel(GW, 'tsunagi0')).rejects.toThrow(
      `no route to ${GW} outside the tunnel`,
    );
  });
});
