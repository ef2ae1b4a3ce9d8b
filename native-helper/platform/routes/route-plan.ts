/**
 * Pure route planning: which prefixes go into the tunnel, and which host route keeps the gateway
 * itself outside it. Full tunnel uses 0.0.0.0/1 + 128.0.0.0/1 so the previous default route is
 * never touched (teardown only removes what we added, so the old routes are restored exactly).
 */
import type { TrafficSelectorRange } from '../../ike/ike-events.js';
import { bytesToIp, ipToBytes } from '../../ike/traffic-selectors.js';

export interface RoutePlan {
  /** Prefixes routed into the TUN device (IPv4 CIDR text). */
  tunnel: string[];
  /**
   * IPv6 prefixes routed into the TUN device. With a full IPv4 tunnel and no IPv6 from the gateway
   * this is ::/1 + 8000::/1, so IPv6 cannot leak around the tunnel: the data plane has no IPv6 SA
   * and drops (and counts) what arrives. Link-local traffic keeps its more specific routes.
   */
  tunnel6: string[];
  /**
   * Whether the gateway needs a host route via the original path (full tunnel or overlap), for
   * an IPv4 gateway inside `tunnel` as for an IPv6 one inside `tunnel6`.
   */
  pinServer: boolean;
}

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function fromBig(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The smallest list of CIDRs covering exactly [start, end]. */
export function rangeToCidrs(startText: string, endText: string): string[] {
  const s = ipToBytes(startText);
  const e = ipToBytes(endText);
  if (!s || !e || s.length !== e.length) throw new Error(`bad range ${startText}-${endText}`);
  const bits = BigInt(s.length * 8);
  let start = toBig(s);
  const end = toBig(e);
  const out: string[] = [];
  while (start <= end) {
    let size = 0n;
    while (size < bits) {
      const block = 1n << (size + 1n);
      if (start % block !== 0n || start + block - 1n > end) break;
      size++;
    }
    out.push(`${bytesToIp(fromBig(start, s.length))}/${bits - size}`);
    start += 1n << size;
  }
  return out;
}

function inside(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const a = ipToBytes(ip);
  const b = net ? ipToBytes(net) : undefined;
  if (!a || !b || a.length !== b.length) return false;
  const shift = BigInt(a.length * 8 - Number(len));
  return toBig(a) >> shift === toBig(b) >> shift;
}

export function planRoutes(
  tsRemote: readonly TrafficSelectorRange[],
  serverAddress: string,
): RoutePlan {
  const tunnel: string[] = [];
  for (const r of tsRemote.filter((t) => t.family === 4)) {
    for (const c of rangeToCidrs(r.startAddress, r.endAddress)) {
      if (c === '0.0.0.0/0') tunnel.push('0.0.0.0/1', '128.0.0.0/1');
      else tunnel.push(c);
    }
  }
  const tunnel6: string[] = [];
  for (const r of tsRemote.filter((t) => t.family === 6)) {
    for (const c of rangeToCidrs(r.startAddress, r.endAddress)) {
      if (c === '::/0') tunnel6.push('::/1', '8000::/1');
      else tunnel6.push(c);
    }
  }
  const full = tunnel.includes('0.0.0.0/1') && tunnel.includes('128.0.0.0/1');
  if (full && tunnel6.length === 0) tunnel6.push('::/1', '8000::/1');
  return { tunnel, tunnel6, pinServer: insideTunnel({ tunnel, tunnel6 }, serverAddress) };
}

/** Whether the plan routes `address` (IPv4 or IPv6) into the tunnel: then it needs a pin. */
export function insideTunnel(
  plan: Pick<RoutePlan, 'tunnel' | 'tunnel6'>,
  address: string,
): boolean {
  const prefixes = address.includes(':') ? plan.tunnel6 : plan.tunnel;
  return prefixes.some((c) => inside(address, c));
}

/**
 * The `ip route add` arguments of the host route that keeps `address` on `path` ("via X dev Y"),
 * IPv6 ones led by "-6" as the routes journal records them.
 */
export function hostRoute(address: string, path: readonly string[]): string[] {
  return address.includes(':') ? ['-6', `${address}/128`, ...path] : [`${address}/32`, ...path];
}

/** One route of `ip -j route show` (the fields the outer-path choice reads). */
export interface KernelRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  prefsrc?: string;
  flags?: string[];
  nexthops?: { gateway?: string; dev: string; flags?: string[] }[];
}

/** The route the outer path takes, without the address: "via X dev Y" or "dev Y". */
export interface OuterRoute {
  path: string[];
  dev: string;
  /** The route's own preferred source (`src`), if it sets one. */
  prefsrc?: string;
}

function prefixOf(dst: string, v6: boolean): { net: string; len: number } {
  if (dst === 'default') return { net: v6 ? '::' : '0.0.0.0', len: 0 };
  const [net = dst, len] = dst.split('/');
  return { net, len: len === undefined ? (v6 ? 128 : 32) : Number(len) };
}

/**
 * The route the kernel would take to `address` if our tunnel's routes (on `tunName`) and our own
 * host routes (`ours`, as `ip route add` arguments) were not there: the longest prefix, then the
 * lowest metric, among unicast routes whose next hop's link is up. This is where IKE and ESP
 * must go, whatever the tunnel's routes say; undefined when there is none.
 */
export function chooseOuterRoute(
  routes: readonly KernelRoute[],
  address: string,
  tunName: string,
  ours: readonly (readonly string[])[] = [],
): OuterRoute | undefined {
  const v6 = address.includes(':');
  const isOurs = (dst: string, hop: { gateway?: string; dev: string }) =>
    ours.some((r) => {
      const args = r[0] === '-6' ? r.slice(1) : r;
      const rd = prefixOf(args[0] ?? '', v6);
      const d = prefixOf(dst, v6);
      const at = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
      return (
        rd.net === d.net && rd.len === d.len && at('dev') === hop.dev && at('via') === hop.gateway
      );
    });
  let best: { route: OuterRoute; len: number; metric: number } | undefined;
  for (const r of routes) {
    if ((r.type ?? 'unicast') !== 'unicast') continue;
    const { net, len } = prefixOf(r.dst, v6);
    if (!inside(address, `${net}/${len}`)) continue;
    const hops = r.nexthops ?? (r.dev ? [{ gateway: r.gateway, dev: r.dev, flags: r.flags }] : []);
    const hop = hops.find(
      (h) =>
        h.dev !== tunName &&
        !(h.flags ?? []).some((f) => f === 'linkdown' || f === 'dead') &&
        !isOurs(r.dst, { dev: h.dev, ...(h.gateway ? { gateway: h.gateway } : {}) }),
    );
    if (!hop) continue;
    const metric = r.metric ?? 0;
    if (best && (len < best.len || (len === best.len && metric >= best.metric))) continue;
    best = {
      len,
      metric,
      route: {
        path: hop.gateway ? ['via', hop.gateway, 'dev', hop.dev] : ['dev', hop.dev],
        dev: hop.dev,
        ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}),
      },
    };
  }
  return best?.route;
}
