/**
 * Linux routes: applies a RoutePlan and returns the disposer that removes exactly the routes it
 * added (routes that already existed are left alone and never removed). Routes and lookups go
 * over rtnetlink from this process (netlink.ts: no process start on the way to the tunnel) when
 * the addon is built, else through `ip`; either way they are recorded as `ip route` arguments
 * (the crash journal's format).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import {
  chooseOuterRoute,
  hostRoute,
  insideTunnel,
  type KernelRoute,
  type RoutePlan,
} from './route-plan.js';
import { parseRouteArgs, routeAddon, sameDestination } from './netlink.js';

const run = promisify(execFile);

export interface AppliedRoutes {
  /** `ip route` argument lists we added, to delete on teardown (also written to the journal). */
  added: string[][];
  /**
   * Keeps another gateway (a redirect's) outside the tunnel when the plan would route it inside:
   * a host route on the path outside the tunnel, removed with the rest on dispose.
   */
  pin(address: string): Promise<void>;
  /**
   * Moves the host route that keeps `address` outside the tunnel onto `path` ("via X dev Y", from
   * pathOutsideTunnel) after the network changed, in one step (`ip route replace`: no moment
   * without it), or puts it back when the kernel dropped it with its link. Returns whether the
   * recorded routes changed (the caller updates the crash journal). A no-op for an address the
   * tunnel's routes do not cover.
   */
  repin(address: string, path: readonly string[]): Promise<boolean>;
  /**
   * A new IKE SA brought another virtual IP: the tunnel's routes take it as their source, each in
   * one `ip route replace` (the device and its routes stay; the journal follows).
   */
  resource(sourceIp: string, sourceIp6?: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Adds an address to the tunnel's device (before its routes use it as their source). */
export async function addTunnelAddress(device: string, cidr: string): Promise<void> {
  await ip(['address', 'add', cidr, 'dev', device, ...(cidr.includes(':') ? ['nodad'] : [])]);
}

/** Removes an address from the tunnel's device (once no route uses it any more). */
export async function removeTunnelAddress(device: string, cidr: string): Promise<void> {
  await ip(['address', 'del', cidr, 'dev', device]);
}

/** Called with the routes we are about to own, before each change (the crash journal). */
export type RouteIntent = (routes: readonly string[][]) => Promise<void>;

async function ip(args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/** `ip route add|replace|del` of a recorded route: over netlink when the addon takes it. */
async function changeRoute(op: 'add' | 'replace' | 'del', r: readonly string[]): Promise<void> {
  const { addon } = routeAddon();
  const route = addon ? parseRouteArgs(r) : undefined;
  if (addon && route) return addon.change(op, route);
  await ip(op === 'add' ? routeAdd(r) : op === 'replace' ? routeReplace(r) : routeDel(r));
}

/** The path the kernel uses now to reach `address` ("via X dev Y" or "dev Y"). */
export async function currentPath(address: string): Promise<string[]> {
  const { addon } = routeAddon();
  if (addon) {
    const r = addon.get(familyOf(address), address);
    if (!r.dev) throw new Error(`no route to ${address}`);
    return r.gateway ? ['via', r.gateway, 'dev', r.dev] : ['dev', r.dev];
  }
  const out = await ip(['route', 'get', address]);
  const via = /\bvia (\S+)/.exec(out)?.[1];
  const dev = /\bdev (\S+)/.exec(out)?.[1];
  if (!dev) throw new Error(`no route to ${address}`);
  return via ? ['via', via, 'dev', dev] : ['dev', dev];
}

/** Where IKE and ESP to `address` leave from, outside our tunnel. */
export interface OuterPath {
  /** The local address the kernel picks on that path. */
  source: string;
  /** "via X dev Y" or "dev Y". */
  path: string[];
}

/**
 * The path to `address` as if our tunnel were not there: the main table's routes without those on
 * `tunName` and without our own host routes (`ours`), so a full tunnel's 0.0.0.0/1 never captures
 * the gateway, and a pin of ours does not hide a better uplink that appeared since. The kernel
 * itself then picks the source address on that device (`ip route get … oif`).
 *
 * Why not the alternatives: `ip route get` alone answers "into the TUN" as soon as the kernel
 * dropped the pin with its link; marking our sockets (SO_MARK) and moving the tunnel's routes to a
 * policy-routing table is what wg-quick does, but Node's UDP sockets cannot set a mark, and the
 * tunnel's routes in another table would change what every tool (and the kill switch's leak
 * checks) sees in the main table. Reading the main table and letting the kernel pick the source
 * keeps the kernel's own choice for everything but our routes.
 */
export async function pathOutsideTunnel(
  address: string,
  tunName: string,
  ours: readonly (readonly string[])[] = [],
): Promise<OuterPath> {
  const v6 = address.includes(':');
  const family = v6 ? ['-6'] : [];
  const { addon } = routeAddon();
  const routes = addon
    ? addon.dump(familyOf(address))
    : (JSON.parse(
        (await ip([...family, '-j', 'route', 'show', 'table', 'main'])) || '[]',
      ) as KernelRoute[]);
  const route = chooseOuterRoute(routes, address, tunName, ours);
  if (!route) throw new Error(`no route to ${address} outside the tunnel`);
  let source = route.prefsrc;
  if (!source && addon) source = addon.get(familyOf(address), address, route.dev).prefsrc;
  else if (!source) {
    const got = JSON.parse(
      (await ip([...family, '-j', 'route', 'get', address, 'oif', route.dev])) || '[]',
    ) as KernelRoute[];
    source = got[0]?.prefsrc;
  }
  if (!source) throw new Error(`no source address for ${address} on ${route.dev}`);
  return { source, path: route.path };
}

/**
 * The MTU of the path to `address` now: a learned path MTU (`ip route get` shows "mtu N" from
 * the route cache or a route's own mtu) or else the outgoing device's MTU.
 */
export async function pathMtuTo(address: string): Promise<number> {
  const { addon } = routeAddon();
  let learned: string | undefined;
  let dev: string | undefined;
  if (addon) {
    const r = addon.get(familyOf(address), address);
    learned = r.mtu !== undefined && r.mtu > 0 ? String(r.mtu) : undefined;
    dev = r.dev;
  } else {
    const out = await ip(['route', 'get', address]);
    learned = /\bmtu (?:lock )?(\d+)/.exec(out)?.[1];
    dev = /\bdev (\S+)/.exec(out)?.[1];
  }
  if (learned) return Number(learned);
  if (!dev) throw new Error(`no route to ${address}`);
  // a few bytes from sysfs: read on this thread (a thread-pool round trip costs more)
  const mtu = Number(readFileSync(`/sys/class/net/${dev}/mtu`, 'utf8').trim());
  if (!Number.isInteger(mtu) || mtu <= 0) throw new Error(`cannot read the MTU of ${dev}`);
  return mtu;
}

/** Sets a device's MTU (`ip link set dev <name> mtu <n>`), e.g. the TUN's after a path change. */
export async function setLinkMtu(device: string, mtu: number): Promise<void> {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)
    throw new Error(`MTU ${mtu} is not an integer in 68..65535`);
  await ip(['link', 'set', 'dev', device, 'mtu', String(mtu)]);
}

export async function applyRoutes(
  plan: RoutePlan,
  tunName: string,
  sourceIp: string | undefined,
  serverAddress: string,
  sourceIp6?: string,
  intent: RouteIntent = () => Promise.resolve(),
): Promise<AppliedRoutes> {
  const added: string[][] = [];
  /** Records the route in the journal first, then adds it: a kill in between can be undone. */
  const add = async (route: string[]) => {
    await intent([...added, route]);
    await changeRoute('add', route);
    added.push(route);
  };
  const remove = async () => {
    for (const r of added.reverse()) await changeRoute('del', r).catch(() => undefined);
    added.length = 0;
  };
  try {
    if (plan.pinServer)
      await addHostRoute(added, hostRoute(serverAddress, await currentPath(serverAddress)), intent);
    for (const prefix of plan.tunnel)
      await add([prefix, 'dev', tunName, ...(sourceIp ? ['src', sourceIp] : [])]);
    // With IPv6 off system-wide nothing can leak; otherwise the TUN device must accept IPv6 routes.
    const ipv6 =
      plan.tunnel6.length > 0 &&
      (
        await readFile('/proc/sys/net/ipv6/conf/all/disable_ipv6', 'utf8').catch(() => '1')
      ).trim() === '0';
    if (ipv6) await writeFile(`/proc/sys/net/ipv6/conf/${tunName}/disable_ipv6`, '0');
    for (const prefix of ipv6 ? plan.tunnel6 : []) {
      // `ip route add <v6 prefix>` picks the IPv6 table from the address family
      await add(['-6', prefix, 'dev', tunName, ...(sourceIp6 ? ['src', sourceIp6] : [])]);
    }
  } catch (e) {
    await remove();
    throw new Error(`cannot set the tunnel routes: ${(e as Error).message}`, { cause: e });
  }
  const pin = async (address: string): Promise<void> => {
    if (!insideTunnel(plan, address)) return;
    const { path } = await pathOutsideTunnel(address, tunName, added);
    await addHostRoute(added, hostRoute(address, path), intent);
  };
  const repin = async (address: string, path: readonly string[]): Promise<boolean> => {
    if (!insideTunnel(plan, address)) return false;
    const next = hostRoute(address, path);
    const i = added.findIndex((r) => isHostRouteTo(r, address));
    if (i < 0) {
      // none of ours (a route of the user's was there, and is gone now, or never was)
      const before = added.length;
      await addHostRoute(added, next, intent);
      return added.length !== before;
    }
    // replace, even when unchanged: it also restores one the kernel dropped with its link
    const changed = added[i]!.join(' ') !== next.join(' ');
    if (changed) await intent([...added, next]);
    await changeRoute('replace', next);
    if (changed) added[i] = next;
    return changed;
  };
  const resource = async (ip4: string, ip6?: string): Promise<void> => {
    for (let i = 0; i < added.length; i++) {
      const r = added[i]!;
      const v6 = r[0] === '-6';
      const at = r.indexOf('src');
      const src = v6 ? ip6 : ip4;
      if (r[r.indexOf('dev') + 1] !== tunName || at < 0 || !src || r[at + 1] === src) continue;
      const next = [...r.slice(0, at + 1), src, ...r.slice(at + 2)];
      await intent([...added.slice(0, i), next, ...added.slice(i + 1)]);
      await changeRoute('replace', next);
      added[i] = next;
    }
  };
  return { added, pin, repin, resource, dispose: remove };
}

/**
 * Adds a host route; one that already exists is the user's: kept, and not ours to remove (so it
 * goes into the journal only once we know we are the ones adding it).
 */
async function addHostRoute(
  added: string[][],
  route: string[],
  intent: RouteIntent,
): Promise<void> {
  if (await routeExists(route)) return;
  await intent([...added, route]);
  if (
    await changeRoute('add', route).then(
      () => true,
      () => false,
    )
  )
    added.push(route);
}

/** Whether the main table has a route to exactly this route's destination (`ip route show exact`). */
async function routeExists(route: readonly string[]): Promise<boolean> {
  const { addon } = routeAddon();
  const parsed = addon ? parseRouteArgs(route) : undefined;
  // a lookup that fails counts as none: adding it then says what is wrong
  if (addon && parsed) {
    try {
      return addon.dump(parsed.family).some((r) => sameDestination(r.dst, parsed));
    } catch {
      return false;
    }
  }
  const v6 = route[0] === '-6';
  const dst = route[v6 ? 1 : 0]!;
  const shown = await ip([...(v6 ? ['-6'] : []), 'route', 'show', 'exact', dst]).catch(() => '');
  return shown.trim() !== '';
}

function isHostRouteTo(r: readonly string[], address: string): boolean {
  const dst = r[0] === '-6' ? r[1] : r[0];
  return dst === `${address}/32` || dst === `${address}/128`;
}

function routeAdd(r: readonly string[]): string[] {
  return r[0] === '-6' ? ['-6', 'route', 'add', ...r.slice(1)] : ['route', 'add', ...r];
}

function routeReplace(r: readonly string[]): string[] {
  return r[0] === '-6' ? ['-6', 'route', 'replace', ...r.slice(1)] : ['route', 'replace', ...r];
}

/** Undo routes recorded in a crash journal (best effort: some may already be gone). */
export async function removeRoutes(routes: readonly string[][]): Promise<void> {
  for (const r of [...routes].reverse()) await changeRoute('del', r).catch(() => undefined);
}

/** `ip route del` for a recorded route (IPv6 ones are recorded with a leading "-6"). */
function routeDel(r: readonly string[]): string[] {
  return r[0] === '-6' ? ['-6', 'route', 'del', ...r.slice(1)] : ['route', 'del', ...r];
}
