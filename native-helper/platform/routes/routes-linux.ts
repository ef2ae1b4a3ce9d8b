/**
 * Linux routes through `ip`: applies a RoutePlan and returns the disposer that removes exactly
 * the routes it added (routes that already existed are left alone and never removed).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { hostRoute, insideTunnel, type RoutePlan } from './route-plan.js';

const run = promisify(execFile);

export interface AppliedRoutes {
  /** `ip route` argument lists we added, to delete on teardown (also written to the journal). */
  added: string[][];
  /**
   * Keeps another gateway (a redirect's) outside the tunnel when the plan would route it inside:
   * a host route on the path outside the tunnel, removed with the rest on dispose.
   */
  pin(address: string): Promise<void>;
  dispose(): Promise<void>;
}

async function ip(args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

/** The path the kernel uses now to reach `address` ("via X dev Y" or "dev Y"). */
export async function currentPath(address: string): Promise<string[]> {
  const out = await ip(['route', 'get', address]);
  const via = /\bvia (\S+)/.exec(out)?.[1];
  const dev = /\bdev (\S+)/.exec(out)?.[1];
  if (!dev) throw new Error(`no route to ${address}`);
  return via ? ['via', via, 'dev', dev] : ['dev', dev];
}

/**
 * The MTU of the path to `address` now: a learned path MTU (`ip route get` shows "mtu N" from
 * the route cache or a route's own mtu) or else the outgoing device's MTU.
 */
export async function pathMtuTo(address: string): Promise<number> {
  const out = await ip(['route', 'get', address]);
  const learned = /\bmtu (?:lock )?(\d+)/.exec(out)?.[1];
  if (learned) return Number(learned);
  const dev = /\bdev (\S+)/.exec(out)?.[1];
  if (!dev) throw new Error(`no route to ${address}`);
  const mtu = Number((await readFile(`/sys/class/net/${dev}/mtu`, 'utf8')).trim());
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
): Promise<AppliedRoutes> {
  const added: string[][] = [];
  const remove = async () => {
    for (const r of added.reverse()) await ip(routeDel(r)).catch(() => undefined);
    added.length = 0;
  };
  try {
    if (plan.pinServer)
      await addHostRoute(added, hostRoute(serverAddress, await currentPath(serverAddress)));
    for (const prefix of plan.tunnel) {
      const route = [prefix, 'dev', tunName, ...(sourceIp ? ['src', sourceIp] : [])];
      await ip(['route', 'add', ...route]);
      added.push(route);
    }
    // With IPv6 off system-wide nothing can leak; otherwise the TUN device must accept IPv6 routes.
    const ipv6 =
      plan.tunnel6.length > 0 &&
      (
        await readFile('/proc/sys/net/ipv6/conf/all/disable_ipv6', 'utf8').catch(() => '1')
      ).trim() === '0';
    if (ipv6) await writeFile(`/proc/sys/net/ipv6/conf/${tunName}/disable_ipv6`, '0');
    for (const prefix of ipv6 ? plan.tunnel6 : []) {
      // `ip route add <v6 prefix>` picks the IPv6 table from the address family
      const route = [prefix, 'dev', tunName, ...(sourceIp6 ? ['src', sourceIp6] : [])];
      await ip(['-6', 'route', 'add', ...route]);
      added.push(['-6', ...route]);
    }
  } catch (e) {
    await remove();
    throw new Error(`cannot set the tunnel routes: ${(e as Error).message}`, { cause: e });
  }
  const pin = async (address: string): Promise<void> => {
    if (!insideTunnel(plan, address)) return;
    let path = await currentPath(address);
    if (path.at(-1) === tunName) {
      // the tunnel's routes cover it now: use the path a pinned gateway of its family takes
      const v6 = address.includes(':');
      const pinned = added.find(
        (r) =>
          (r[0] === '-6') === v6 &&
          /\/(32|128)$/.test(r[v6 ? 1 : 0] ?? '') &&
          r.includes('dev') &&
          r[r.indexOf('dev') + 1] !== tunName,
      );
      if (!pinned)
        throw new Error(
          `cannot find the path to ${address} outside the tunnel (no pinned gateway of its family)`,
        );
      path = pinned.slice(v6 ? 2 : 1);
    }
    await addHostRoute(added, hostRoute(address, path));
  };
  return { added, pin, dispose: remove };
}

/** Adds a host route; one that already exists is the user's: kept, and not ours to remove. */
async function addHostRoute(added: string[][], route: string[]): Promise<void> {
  if (
    await ip(routeAdd(route)).then(
      () => true,
      () => false,
    )
  )
    added.push(route);
}

function routeAdd(r: readonly string[]): string[] {
  return r[0] === '-6' ? ['-6', 'route', 'add', ...r.slice(1)] : ['route', 'add', ...r];
}

/** Undo routes recorded in a crash journal (best effort: some may already be gone). */
export async function removeRoutes(routes: readonly string[][]): Promise<void> {
  for (const r of [...routes].reverse()) await ip(routeDel(r)).catch(() => undefined);
}

/** `ip route del` for a recorded route (IPv6 ones are recorded with a leading "-6"). */
function routeDel(r: readonly string[]): string[] {
  return r[0] === '-6' ? ['-6', 'route', 'del', ...r.slice(1)] : ['route', 'del', ...r];
}
