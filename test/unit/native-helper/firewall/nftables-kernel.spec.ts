/**
 * The nftables backend against the real kernel, in a namespace this file creates, on both paths:
 * libnftables inside the helper's process (the addon) and `nft -f -` spawned
 * (TSUNAGI_NFT_NATIVE=0). The same plans give the same tables; a bad ruleset's error text (with
 * its line) comes through and changes nothing (one transaction).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNftables, TABLE } from '../../../../native-helper/firewall/nftables.js';
import { planFirewall, type FirewallPolicy } from '../../../../native-helper/firewall/policy.js';
import { createTestNamespace, netnsMissing, type TestNamespace } from '../support/netns.js';

const missing = netnsMissing();
const GW = { address: '192.0.2.10' };
const blocked: FirewallPolicy = { kind: 'blocked', gateway: GW, allowLan: false };
const connected: FirewallPolicy = {
  kind: 'connected',
  gateway: GW,
  tun: 'tsunagi0',
  dns: ['10.99.0.53'],
  allowLan: true,
};
/** `connected` with the LAN as `blocked` has it: the same rules, other set elements. */
const up: FirewallPolicy = { ...connected, allowLan: false };
const BAD = `table inet ${TABLE} {\n  chain output {\n    type filter hook output priority 0; policy drop;\n    bogus rule here\n  }\n}\n`;

describe.skipIf(missing !== undefined)(
  missing ? `nftables in a namespace — SKIPPED: needs ${missing}` : 'nftables in a namespace',
  () => {
    let ns: TestNamespace;
    beforeAll(async () => {
      ns = await createTestNamespace('tsn-nft');
    });
    afterAll(() => ns?.dispose());

    const listTable = () => {
      try {
        return ns.sh(['nft', 'list', 'table', 'inet', TABLE]);
      } catch {
        return undefined;
      }
    };

    /** A set's elements as the kernel lists them. */
    const setElements = (name: string): string[] => {
      const text = ns.sh(['nft', 'list', 'set', 'inet', TABLE, name]);
      const m = /elements = \{([^}]*)\}/.exec(text);
      return m ? m[1]!.split(',').map((e) => e.trim()) : [];
    };
    /** The chains' rules as the kernel lists them (without the sets). */
    const rules = (): string => listTable()!.slice(listTable()!.indexOf('chain output'));

    it('libnftables is what the helper uses when the addon is built; TSUNAGI_NFT_NATIVE=0 spawns nft', async () => {
      expect(await ns.run([{ op: 'nft-backend' }])).toEqual([{ ok: true, value: 'libnftables' }]);
      expect(await ns.run([{ op: 'nft-backend' }], { TSUNAGI_NFT_NATIVE: '0' })).toEqual([
        { ok: true, value: 'nft' },
      ]);
    });

    describe.each([
      ['libnftables', {}],
      ['nft -f -', { TSUNAGI_NFT_NATIVE: '0' }],
    ] as const)('through %s', (_label, env) => {
      it('applies each policy in place of the last, and removes the table for allow-all', async () => {
        const results = await ns.run(
          [{ op: 'nft-exists' }, { op: 'firewall-apply', policy: blocked }, { op: 'nft-exists' }],
          env,
        );
        expect(results).toEqual([
          { ok: true, value: false },
          { ok: true },
          { ok: true, value: true },
        ]);
        const table = listTable()!;
        expect(table).toContain('ip daddr @gateway4 udp dport { 500, 4500 } accept');
        expect(setElements('gateway4')).toEqual(['192.0.2.10']);
        expect(table).not.toContain('tsunagi0');

        expect(await ns.run([{ op: 'firewall-apply', policy: connected }], env)).toEqual([
          { ok: true },
        ]);
        const after = listTable()!;
        expect(after).toContain('oifname @tunnels accept');
        expect(after).toContain('oifname . ip daddr @dns4 udp dport 53 accept');
        expect(setElements('tunnels')).toEqual(['"tsunagi0"']);
        expect(setElements('dns4')).toEqual(['"tsunagi0" . 10.99.0.53']);
        // replaced, not added to: one output chain
        expect(after.match(/chain output/g)).toHaveLength(1);

        expect(
          await ns.run(
            [{ op: 'firewall-apply', policy: { kind: 'allow-all' } }, { op: 'nft-exists' }],
            env,
          ),
        ).toEqual([{ ok: true }, { ok: true, value: false }]);
        expect(listTable()).toBeUndefined();
      });

      it('a table left behind (a crash, another version) is replaced, not added to', async () => {
        ns.sh(['nft', 'add', 'table', 'inet', TABLE]);
        ns.sh([
          'nft',
          'add chain inet tsunagi stale { type filter hook output priority 0; policy drop; }',
        ]);
        ns.sh(['nft', 'add rule inet tsunagi stale ip daddr 203.0.113.99 accept']);
        // a fresh helper tries to create the table first: that fails, changing nothing, and the
        // replacing script runs
        expect(await ns.run([{ op: 'firewall-apply', policy: blocked }], env)).toEqual([
          { ok: true },
        ]);
        const table = listTable()!;
        expect(table).not.toContain('stale');
        expect(table).not.toContain('203.0.113.99');
        expect(setElements('gateway4')).toEqual(['192.0.2.10']);
        await ns.run([{ op: 'firewall-apply', policy: { kind: 'allow-all' } }], env);
        expect(listTable()).toBeUndefined();
      });

      it('one helper going blocked → connected → blocked changes only set elements, as the kernel shows', async () => {
        const [first, second] = await ns.run(
          [
            { op: 'firewall-apply', policy: blocked },
            { op: 'firewall-apply', policy: up },
          ],
          env,
        );
        expect([first, second]).toEqual([{ ok: true }, { ok: true }]);
        const rulesUp = rules();
        expect(setElements('tunnels')).toEqual(['"tsunagi0"']);
        // the same helper process again would keep going by elements; a new one (this run)
        // replaces the table once, which gives the same rules
        expect(
          await ns.run(
            [
              { op: 'firewall-apply', policy: up },
              { op: 'firewall-apply', policy: blocked },
            ],
            env,
          ),
        ).toEqual([{ ok: true }, { ok: true }]);
        expect(setElements('tunnels')).toEqual([]);
        expect(setElements('dns4')).toEqual([]);
        expect(setElements('gateway4')).toEqual(['192.0.2.10']);
        expect(rules()).toEqual(rulesUp);
        await ns.run([{ op: 'firewall-apply', policy: { kind: 'allow-all' } }], env);
        expect(listTable()).toBeUndefined();
      });

      it("a bad ruleset fails with nft's own error text and its line, and changes nothing", async () => {
        const before = renderNftables(planFirewall(blocked));
        const [applied, bad, exists] = await ns.run(
          [{ op: 'nft', script: before }, { op: 'nft', script: BAD }, { op: 'nft-exists' }],
          env,
        );
        expect(applied).toEqual({ ok: true });
        expect(bad!.ok).toBe(false);
        const error = (bad as { error: string }).error;
        expect(error).toMatch(/^nft failed/);
        expect(error).toContain('/dev/stdin:4:');
        expect(error).toContain('Error: syntax error');
        expect(error).toContain('bogus rule here');
        expect(exists).toEqual({ ok: true, value: true });
        // the table is the one applied before, untouched
        expect(listTable()).toContain('ip daddr @gateway4 udp dport { 500, 4500 } accept');
        expect(setElements('gateway4')).toEqual(['192.0.2.10']);
        await ns.run([{ op: 'firewall-apply', policy: { kind: 'allow-all' } }], env);
      });
    });
  },
);
