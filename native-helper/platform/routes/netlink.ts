// Routes over rtnetlink from the helper's own process (native-helper/native/src/route_linux.c),
// instead of an `ip` process per route and per lookup. Optional: when the addon is missing or
// does not load, or TSUNAGI_ROUTE_NATIVE=0, routes-linux.ts runs `ip` as before.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNativeAddon } from '../tun/native-addon.js';
import type { KernelRoute } from './route-plan.js';

export const ROUTE_NATIVE_ENV = 'TSUNAGI_ROUTE_NATIVE';
export const ROUTE_ADDON_ENV = 'TSUNAGI_ROUTE_ADDON';
export const ROUTE_ADDON_PATH = join(
  'native-helper',
  'native',
  'build',
  'Release',
  'tsunagi_route.node',
);

/** One route of the main table, as `ip route add|replace|del` takes it. */
export interface NetlinkRoute {
  family: 4 | 6;
  dst: string;
  prefixLength: number;
  gateway?: string;
  dev?: string;
  src?: string;
}

/** What `ip route get` tells. */
export interface RouteLookup {
  type: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  /** A learned path MTU (or the route's own mtu), when there is one. */
  mtu?: number;
}

/** What tsunagi_route.node exports; failures throw Errors whose `code` is the errno name. */
export interface RouteAddon {
  change(op: 'add' | 'replace' | 'del', route: NetlinkRoute): void;
  get(family: 4 | 6, address: string, dev?: string): RouteLookup;
  /** The main table, in the shape of `ip -j route show table main`. */
  dump(family: 4 | 6): KernelRoute[];
}

let loaded: { key: string; addon: RouteAddon | undefined; reason?: string } | undefined;

/** The addon, or undefined with the reason it is not used (loaded once per switch value). */
export function routeAddon(
  env: Readonly<Record<string, string | undefined>> = process.env,
  fromDir: string = dirname(fileURLToPath(import.meta.url)),
): { addon: RouteAddon | undefined; reason?: string } {
  const key = env[ROUTE_NATIVE_ENV] ?? '';
  if (loaded?.key === key) return loaded;
  loaded = { key, ...loadRouteAddon(env, fromDir) };
  return loaded;
}

function loadRouteAddon(
  env: Readonly<Record<string, string | undefined>>,
  fromDir: string,
): { addon: RouteAddon | undefined; reason?: string } {
  if (env[ROUTE_NATIVE_ENV] === '0') return { addon: undefined, reason: `${ROUTE_NATIVE_ENV}=0` };
  if (process.platform !== 'linux')
    return { addon: undefined, reason: 'rtnetlink routes: not supported on this platform yet' };
  const { path } = findNativeAddon(ROUTE_ADDON_PATH, ROUTE_ADDON_ENV, fromDir, env);
  if (path === undefined) return { addon: undefined, reason: `${ROUTE_ADDON_PATH} is not built` };
  try {
    return { addon: createRequire(import.meta.url)(path) as RouteAddon };
  } catch (e) {
    return {
      addon: undefined,
      reason: `${path} does not load: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/**
 * A route as recorded for `ip route` ("DST [via GW] [dev DEV] [src SRC]", IPv6 ones led by
 * "-6"; see routes-linux.ts) for netlink; undefined for anything else (which then goes to `ip`,
 * so a journal written by another version is still undone).
 */
export function parseRouteArgs(args: readonly string[]): NetlinkRoute | undefined {
  const v6flag = args[0] === '-6';
  const rest = v6flag ? args.slice(1) : args;
  const [dstText, ...pairs] = rest;
  if (dstText === undefined || pairs.length % 2 !== 0) return undefined;
  const [dst = '', lenText] = dstText.split('/');
  const version = isIP(dst);
  if (version === 0 || (v6flag && version !== 6)) return undefined;
  const family: 4 | 6 = version === 4 ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  const prefixLength = lenText === undefined ? bits : Number(lenText);
  if (!/^\d{1,3}$/.test(lenText ?? String(bits)) || prefixLength > bits) return undefined;
  const route: NetlinkRoute = { family, dst, prefixLength };
  for (let i = 0; i < pairs.length; i += 2) {
    const [key, value] = [pairs[i]!, pairs[i + 1]!];
    if (key === 'via' && isIP(value) === family && route.gateway === undefined)
      route.gateway = value;
    else if (key === 'dev' && /^[^\s/]{1,15}$/.test(value) && route.dev === undefined)
      route.dev = value;
    else if (key === 'src' && isIP(value) === family && route.src === undefined) route.src = value;
    else return undefined;
  }
  return route;
}

/** Whether `dst` of a dumped route ("default", "A" or "A/N") is exactly `prefix` ("A/N"). */
export function sameDestination(dst: string, prefix: NetlinkRoute): boolean {
  const bits = prefix.family === 4 ? 32 : 128;
  if (dst === 'default') return prefix.prefixLength === 0;
  const [a = '', n] = dst.split('/');
  const len = n === undefined ? bits : Number(n);
  return len === prefix.prefixLength && normalize(a) === normalize(prefix.dst);
}

/** IPv6 text in one spelling (the kernel's and ours may differ in zeros). */
function normalize(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname;
  } catch {
    return address;
  }
}
