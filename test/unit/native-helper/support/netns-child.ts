/**
 * The child side of netns.ts: runs inside a test network namespace (`ip netns exec NS node
 * bundle.mjs OPS`), applies the firewall and route operations it is given in order, in one
 * process (routes applied by one op are disposed by a later one), and prints one JSON line per
 * operation: { ok: true, value } or { ok: false, error }.
 */
import {
  nftBackend,
  NftablesFirewall,
  runNft,
  tableExists,
} from '../../../../native-helper/firewall/nftables.js';
import type { FirewallPolicy } from '../../../../native-helper/firewall/policy.js';
import { routeAddon } from '../../../../native-helper/platform/routes/netlink.js';
import type { RoutePlan } from '../../../../native-helper/platform/routes/route-plan.js';
import {
  applyRoutes,
  currentPath,
  pathMtuTo,
  pathOutsideTunnel,
  removeRoutes,
  type AppliedRoutes,
} from '../../../../native-helper/platform/routes/routes-linux.js';

export type ChildOp =
  | { op: 'nft-backend' }
  | { op: 'nft'; script: string }
  | { op: 'nft-exists' }
  | { op: 'firewall-apply'; policy: FirewallPolicy }
  | { op: 'route-backend' }
  | { op: 'apply-routes'; plan: RoutePlan; tun: string; src?: string; server: string }
  | { op: 'pin'; address: string }
  | { op: 'repin'; address: string; path: string[] }
  | { op: 'dispose-routes' }
  | { op: 'remove-routes'; routes: string[][] }
  | { op: 'current-path'; address: string }
  | { op: 'path-mtu'; address: string }
  | { op: 'path-outside'; address: string; tun: string; ours?: string[][] };

export type ChildResult = { ok: true; value?: unknown } | { ok: false; error: string };

let applied: AppliedRoutes | undefined;
let firewall: NftablesFirewall | undefined;

async function run(op: ChildOp): Promise<unknown> {
  switch (op.op) {
    case 'nft-backend':
      return nftBackend().kind;
    case 'nft':
      return runNft(op.script);
    case 'nft-exists':
      return tableExists();
    case 'firewall-apply':
      // one firewall per run: a sequence of applies goes the way the helper's would
      firewall ??= new NftablesFirewall();
      return firewall.apply(op.policy);
    case 'route-backend':
      return routeAddon().addon ? 'netlink' : 'ip';
    case 'apply-routes':
      applied = await applyRoutes(op.plan, op.tun, op.src, op.server);
      return applied.added;
    case 'pin':
      await applied!.pin(op.address);
      return applied!.added;
    case 'repin':
      return applied!.repin(op.address, op.path);
    case 'dispose-routes':
      return applied!.dispose();
    case 'remove-routes':
      return removeRoutes(op.routes);
    case 'current-path':
      return currentPath(op.address);
    case 'path-mtu':
      return pathMtuTo(op.address);
    case 'path-outside':
      return pathOutsideTunnel(op.address, op.tun, op.ours);
  }
}

const ops = JSON.parse(process.argv[2] ?? '[]') as ChildOp[];
for (const op of ops) {
  let result: ChildResult;
  try {
    const value = await run(op);
    result = value === undefined ? { ok: true } : { ok: true, value };
  } catch (e) {
    result = { ok: false, error: (e as Error).message };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
