/**
 * The nftables backend: renders a rule plan as one `nft -f` script for the helper's own table
 * (`inet tsunagi`: IPv4 and IPv6 in one table) and applies it in one transaction. The rules match
 * the gateway, the TUN and the tunnel's DNS servers through named sets, so going from blocked to
 * connected (the same rules) only adds set elements: a commit that does not wait for an RCU grace
 * period (under 1 ms, where replacing the rules took 8–16 ms on every connect). Other changes
 * replace the table: the script declares it, deletes it and declares it again, atomically, so
 * there is no moment with no rules. The TUN is matched by name: a policy loads before the device
 * exists and a re-created device is matched again. The rules stay in the kernel when the helper
 * dies, so a SIGKILLed helper leaves the machine blocked, not leaking. The forward chain holds
 * traffic routed for others (containers, VMs) to the same rules. The script runs through
 * libnftables inside the helper when it can be loaded (no process start on the way to the
 * tunnel), else through `nft -f -`; `nft monitor` is always a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Firewall } from './firewall.js';
import { loadNftAddon, NFT_NATIVE_ENV, type NftAddon } from './native-nft.js';
import {
  planFirewall,
  type FirewallPolicy,
  type Match,
  type Rule,
  type RulePlan,
} from './policy.js';

export const TABLE = 'tsunagi';

const NDP_TYPES =
  'nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect';

const quote = (name: string): string => {
  if (!/^[A-Za-z0-9_.%-]{1,15}$/.test(name)) throw new Error(`invalid interface name ${name}`);
  return `"${name}"`;
};
const ADDR = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;
const addr = (a: string): string => {
  if (!ADDR.test(a)) throw new Error(`invalid address ${a}`);
  return a;
};
const list = (items: string[]): string =>
  items.length === 1 ? addr(items[0]!) : `{ ${items.map(addr).join(', ')} }`;

/**
 * The named sets our rules match against: what changes between blocked and connected lives
 * here, so that change is a few set elements (no rule replaced, no RCU grace period to wait for).
 */
const SETS = {
  gateway4: 'ipv4_addr',
  gateway6: 'ipv6_addr',
  tunnels: 'ifname',
  dns4: 'ifname . ipv4_addr',
  dns6: 'ifname . ipv6_addr',
} as const;
export type SetName = keyof typeof SETS;
const SET_NAMES = Object.keys(SETS) as SetName[];

/** Each set's elements as nft writes them; filled while the rules are rendered. */
export type SetElements = Record<SetName, string[]>;

class Renderer {
  readonly elements: SetElements = { gateway4: [], gateway6: [], tunnels: [], dns4: [], dns6: [] };
  private readonly filled = new Set<SetName>();

  /** `@name`, with `items` as its elements (every rule naming a set must agree on them). */
  private use(name: SetName, items: string[]): string {
    const unique = [...new Set(items)].sort();
    if (this.filled.has(name)) {
      if (unique.join('\n') !== this.elements[name].join('\n'))
        throw new Error(`rules disagree on the elements of set ${name}`);
    } else {
      this.filled.add(name);
      this.elements[name] = unique;
    }
    return `@${name}`;
  }

  gateway(m: Extract<Match, { kind: 'gateway' }>, dir: 'daddr' | 'saddr'): string[] {
    const set = this.use(m.family === 'ip' ? 'gateway4' : 'gateway6', m.addresses.map(addr));
    const port = dir === 'daddr' ? 'dport' : 'sport';
    return [
      `${m.family} ${dir} ${set} udp ${port} { 500, 4500 }`,
      `${m.family} ${dir} ${set} meta l4proto esp`,
    ];
  }

  tunnels(names: string[]): string {
    return this.use('tunnels', names.map(quote));
  }

  dns(m: Extract<Match, { kind: 'dns' }>): string[] {
    const set = this.use(
      m.family === 'ip' ? 'dns4' : 'dns6',
      m.via.map((v) => `${quote(v.interface)} . ${addr(v.server)}`),
    );
    return [
      `oifname . ${m.family} daddr ${set} udp dport 53`,
      `oifname . ${m.family} daddr ${set} tcp dport 53`,
    ];
  }

  out(m: Match): string[] {
    switch (m.kind) {
      case 'loopback':
        return ['oif "lo"'];
      case 'established':
        return ['ct state established,related'];
      case 'gateway':
        return this.gateway(m, 'daddr');
      case 'dhcp4':
        return ['meta nfproto ipv4 udp sport 68 udp dport 67'];
      case 'dhcp6':
        return ['ip6 daddr ff02::1:2 udp sport 546 udp dport 547'];
      case 'ndp':
        return [`icmpv6 type { ${NDP_TYPES} } ip6 hoplimit 255`];
      case 'lan':
        return [`${m.family} daddr ${list(m.cidrs)}`];
      case 'interface':
        return [`oifname ${this.tunnels(m.names)}`];
      case 'tunnel-either-way':
        return [`oifname ${this.tunnels(m.names)}`, `iifname ${this.tunnels(m.names)}`];
      case 'dns':
        return this.dns(m);
    }
  }

  in(m: Match): string[] {
    switch (m.kind) {
      case 'loopback':
        return ['iif "lo"'];
      case 'established':
        return ['ct state established,related'];
      case 'gateway':
        return this.gateway(m, 'saddr');
      case 'dhcp4':
        return ['meta nfproto ipv4 udp sport 67 udp dport 68'];
      case 'dhcp6':
        return ['meta nfproto ipv6 udp sport 547 udp dport 546'];
      case 'ndp':
        return [`icmpv6 type { ${NDP_TYPES} } ip6 hoplimit 255`];
      case 'lan':
        return [`${m.family} saddr ${list(m.cidrs)}`];
      case 'interface':
        return [`iifname ${this.tunnels(m.names)}`];
      case 'tunnel-either-way':
        return [`oifname ${this.tunnels(m.names)}`, `iifname ${this.tunnels(m.names)}`];
      case 'dns':
        return [];
    }
  }

  /** Forwarded packets: destinations as on output (LAN, DNS via the TUN), the TUN both ways. */
  forward(m: Match): string[] {
    switch (m.kind) {
      case 'lan':
      case 'dns':
      case 'tunnel-either-way':
        return this.out(m);
      case 'loopback':
      case 'established':
      case 'gateway':
      case 'dhcp4':
      case 'dhcp6':
      case 'ndp':
      case 'interface':
        // never planned for forwarding: only the TUN and the LAN may carry others' traffic
        throw new Error(`${m.kind} is not a forwarding rule`);
    }
  }

  rules(rules: Rule[], match: (m: Match) => string[]): string[] {
    const lines: string[] = [];
    for (const r of rules) {
      if (r.verdict === 'drop') {
        lines.push('udp dport 53 drop', 'tcp dport 53 drop');
        continue;
      }
      for (const m of match(r.match)) lines.push(`${m} accept`);
    }
    return lines;
  }
}

/**
 * A filter plan as nftables text: `table` declares the sets (empty) and the chains; `elements`
 * fills the sets. Plans with the same `table` differ only in set elements.
 */
export interface RenderedFilter {
  table: string;
  elements: SetElements;
}

export function renderFilter(plan: Extract<RulePlan, { kind: 'filter' }>): RenderedFilter {
  const r = new Renderer();
  const chain = (name: string, hook: string, lines: string[]) =>
    `  chain ${name} {\n    type filter hook ${hook} priority 0; policy drop;\n` +
    lines.map((l) => `    ${l}\n`).join('') +
    '  }\n';
  const chains =
    chain(
      'output',
      'output',
      r.rules(plan.output, (m) => r.out(m)),
    ) +
    chain(
      'input',
      'input',
      r.rules(plan.input, (m) => r.in(m)),
    ) +
    chain(
      'forward',
      'forward',
      r.rules(plan.forward, (m) => r.forward(m)),
    );
  const sets = SET_NAMES.map((n) => `  set ${n} {\n    type ${SETS[n]};\n  }\n`).join('');
  return { table: `table inet ${TABLE} {\n${sets}${chains}}\n`, elements: r.elements };
}

const elementLines = (verb: 'add' | 'delete', elements: SetElements): string =>
  SET_NAMES.filter((n) => elements[n].length)
    .map((n) => `${verb} element inet ${TABLE} ${n} { ${elements[n].join(', ')} }\n`)
    .join('');

const fill = (f: RenderedFilter): string => f.table + elementLines('add', f.elements);

const RESET = `table inet ${TABLE} {}\ndelete table inet ${TABLE}\n`;
/**
 * Where our table does not exist, `create table` installs a plan: it fails (and
 * the transaction changes nothing) when it does. Replacing a live table makes the kernel's commit
 * wait for an RCU grace period (8–16 ms measured, even for a table deleted and created again in
 * one transaction); creating one does not (1–3 ms): that is the first policy of every connect.
 */
const CREATE = `create table inet ${TABLE}\n`;

/** The `nft -f` script that installs this plan in place of whatever the table held. */
export function renderNftables(plan: RulePlan): string {
  if (plan.kind === 'none') return RESET;
  return RESET + fill(renderFilter(plan));
}

/**
 * The script that turns the sets' elements `from` into `to` (the rules as they are): empty when
 * nothing changes. Adding elements commits at once; removing them waits for a grace period, which
 * only happens on the way back from connected.
 */
export function renderElementChanges(from: SetElements, to: SetElements): string {
  const gone = {} as SetElements;
  const added = {} as SetElements;
  for (const n of SET_NAMES) {
    gone[n] = from[n].filter((e) => !to[n].includes(e));
    added[n] = to[n].filter((e) => !from[n].includes(e));
  }
  return elementLines('delete', gone) + elementLines('add', added);
}

export type NftRunner = (script: string) => Promise<void>;

/**
 * What applies rulesets: libnftables inside this process (the addon), or the `nft` binary
 * spawned for each script (no addon, no libnftables.so.1, TSUNAGI_NFT_NATIVE=0, or TSUNAGI_NFT
 * naming a binary). The same script either way, in one transaction.
 */
export type NftBackend = { kind: 'libnftables'; addon: NftAddon } | { kind: 'nft'; reason: string };

let backend: { key: string; value: NftBackend } | undefined;

/** The backend for the current environment (loaded once; again when the switches change). */
export function nftBackend(
  env: Readonly<Record<string, string | undefined>> = process.env,
): NftBackend {
  const key = `${env[NFT_NATIVE_ENV] ?? ''}\0${env.TSUNAGI_NFT ?? ''}`;
  if (backend?.key !== key) {
    const { addon, reason } = loadNftAddon(env);
    backend = {
      key,
      value: addon ? { kind: 'libnftables', addon } : { kind: 'nft', reason: reason ?? 'unknown' },
    };
  }
  return backend.value;
}

/** Applies the script with the backend of the moment; rejects with nft's error text. */
export const runNft: NftRunner = (script) => {
  const b = nftBackend();
  return b.kind === 'libnftables' ? runLibnftables(b.addon, script) : spawnNft(script);
};

/**
 * Runs the script through libnftables; rejects with nft's stderr, its locations naming
 * /dev/stdin as `nft -f -` does.
 */
export async function runLibnftables(addon: NftAddon, script: string): Promise<void> {
  const r = await addon.run(script);
  if (!r.ok) {
    const text = r.source ? r.error.split(r.source).join('/dev/stdin') : r.error;
    throw new Error(`nft failed (libnftables): ${text.trim() || 'no error text'}`);
  }
}

/** Runs `nft -f -` with the script on stdin; rejects with nft's stderr. */
export const spawnNft: NftRunner = (script) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.env.TSUNAGI_NFT ?? 'nft', ['-f', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`nft failed (${code}): ${err.trim()}`)),
    );
    child.stdin.end(script);
  });

/** Whether our table exists (`nft list table inet tsunagi` succeeds). */
export const tableExists = async (): Promise<boolean> => {
  const b = nftBackend();
  if (b.kind === 'libnftables')
    return b.addon.run(`list table inet ${TABLE}`).then(
      (r) => r.ok,
      () => false,
    );
  return new Promise((resolve) => {
    const child = spawn(process.env.TSUNAGI_NFT ?? 'nft', ['list', 'table', 'inet', TABLE], {
      stdio: 'ignore',
    });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
};

export class NftablesFirewall implements Firewall {
  /**
   * What our last apply left in the kernel: no table, or a table with these rules and elements
   * (undefined before the first apply, after a failure, or once the table was found gone).
   */
  private live: 'none' | RenderedFilter | undefined;

  constructor(
    private readonly run: NftRunner = runNft,
    private readonly exists: () => Promise<boolean> = tableExists,
  ) {}
  async apply(policy: FirewallPolicy): Promise<void> {
    const plan = planFirewall(policy);
    const before = this.live;
    this.live = undefined; // until this apply has settled
    if (plan.kind === 'none') {
      await this.run(renderNftables(plan));
      this.live = 'none';
      return;
    }
    const next = this.render(plan);
    if (before !== undefined && before !== 'none' && before.table === next.table) {
      // the same rules: only set elements change (blocked → connected adds a few: no wait)
      const script = renderElementChanges(before.elements, next.elements);
      const changed =
        script === '' ||
        (await this.run(script).then(
          () => true,
          () => false, // not what we thought was there: the whole table is replaced below
        ));
      if (changed) {
        this.live = next;
        return;
      }
    } else if (before === undefined || before === 'none') {
      // most likely there is no table (our last policy removed it, or the helper just started):
      // create it; if one is there after all, nothing changed and the replacing script runs
      const created = await this.run(CREATE + fill(next)).then(
        () => true,
        () => false,
      );
      if (created) {
        this.live = next;
        return;
      }
    }
    await this.run(RESET + fill(next));
    this.live = next;
  }
  /** The last few plans rendered: a helper goes between the same few policies on every connect. */
  private readonly rendered = new Map<string, RenderedFilter>();

  private render(plan: Extract<RulePlan, { kind: 'filter' }>): RenderedFilter {
    const key = JSON.stringify(plan);
    let r = this.rendered.get(key);
    if (!r) {
      r = renderFilter(plan);
      if (this.rendered.size >= 8) this.rendered.delete(this.rendered.keys().next().value!);
      this.rendered.set(key, r);
    }
    return r;
  }

  /**
   * Checks that our table is still there: what `nft flush ruleset` (Debian's nftables.service,
   * another firewall manager) removes. A plan of `none` has no table to lose. Rules changed
   * inside the table by another root process are not detected.
   */
  async intact(policy: FirewallPolicy): Promise<boolean> {
    if (planFirewall(policy).kind === 'none') return true;
    const there = await this.exists();
    // gone: the next apply must not take it for the table it left (it creates it again)
    if (!there) this.live = undefined;
    return there;
  }
  /**
   * `nft monitor tables`: the kernel says when a table is deleted, by us (each apply replaces the
   * table) or by anyone else (`flush ruleset` deletes it too), so a flush is noticed at once
   * rather than at the next periodic check. A monitor that exits is started again after a second.
   */
  watch(changed: () => void): () => void {
    let child: ChildProcess | undefined;
    let restart: NodeJS.Timeout | undefined;
    let stopped = false;
    const deleted = new RegExp(`^delete table inet ${TABLE}$`);
    const start = () => {
      const proc = spawn(process.env.TSUNAGI_NFT ?? 'nft', ['monitor', 'tables'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child = proc;
      let pending = '';
      proc.stdout!.on('data', (d: Buffer) => {
        const lines = (pending + d.toString()).split('\n');
        pending = lines.pop()!;
        if (lines.some((l) => deleted.test(l.trim()))) changed();
      });
      proc.on('error', () => undefined);
      proc.on('close', () => {
        if (stopped) return;
        restart = setTimeout(start, 1_000);
        restart.unref();
      });
    };
    start();
    return () => {
      stopped = true;
      clearTimeout(restart);
      child?.kill();
    };
  }
}
