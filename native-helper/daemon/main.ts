/**
 * `tsunagi helper`: the privileged helper daemon (run as root, e.g. by tsunagi-helper.service).
 *
 *   tsunagi helper [--socket PATH] [--group NAME] [--allow-uid UID]...
 *
 * Start-up order matters for safety: settings (lockdown) are loaded and the crash journal is
 * replayed first, then the first state's firewall policy is applied, and only then does the
 * socket accept clients. A helper that finds the journal of a dead predecessor starts in `error`
 * (blocking with the kill switch on) rather than silently unblocking. Under systemd
 * (Type=notify) READY=1 is sent only then, so the network waits for the first policy. From then
 * on the firewall is checked every FIREWALL_CHECK_MS: a table another firewall manager flushed
 * is put back.
 */
import { readFile } from 'node:fs/promises';
import { NftablesFirewall, nftBackend } from '../firewall/nftables.js';
import type { Firewall } from '../firewall/firewall.js';
import type { FirewallPolicy } from '../firewall/policy.js';
import { groupAccess, type AccessPolicy } from '../ipc/peer-credentials.js';
import { DEFAULT_SOCKET_PATH } from '../ipc/protocol.js';
import { TunnelStateMachine, type TunnelDriver } from '../tunnel/state-machine.js';
import { ErrorState } from '../tunnel/states/error.js';
import { dnsResolver, type Resolver } from './connect-target.js';
import { recoverAfterCrash } from './recovery.js';
import { HelperServer, type HelperServerOptions } from './server.js';
import { sdNotify } from './sd-notify.js';
import { SettingsStore } from './settings-store.js';
import { connectionDriver } from './tunnel-driver.js';

/**
 * How often the helper checks that its nftables table is still there (one `nft list table`):
 * cheap, and it also catches a flush that happened while no event could have been seen.
 */
export const FIREWALL_CHECK_MS = 2_000;

export const HELPER_USAGE = `tsunagi helper [--socket PATH] [--group NAME] [--allow-uid UID]...
  Runs the privileged helper (as root; normally started by tsunagi-helper.service).
  --socket     the control socket (default ${DEFAULT_SOCKET_PATH})
  --group      members of this group may control the helper (default: tsunagi, if it exists)
  --allow-uid  this uid may control the helper too (repeatable); root always may`;

export interface HelperArgs {
  socketPath: string;
  group: string | undefined;
  allowUids: number[];
}

export function parseHelperArgs(args: readonly string[]): HelperArgs | string {
  const out: HelperArgs = { socketPath: DEFAULT_SOCKET_PATH, group: undefined, allowUids: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = args[i + 1];
    if (a !== '--socket' && a !== '--group' && a !== '--allow-uid') return `unknown option ${a}`;
    if (value === undefined) return `${a} needs a value`;
    i++;
    if (a === '--socket') out.socketPath = value;
    else if (a === '--group') out.group = value;
    else if (/^\d+$/.test(value)) out.allowUids.push(Number(value));
    else return `--allow-uid takes a number, not ${value}`;
  }
  return out;
}

export interface HelperDeps {
  firewall?: Firewall;
  driver?: TunnelDriver;
  resolve?: Resolver;
  log?: (line: string) => void;
  /** Tests: how often statistics are sampled (1 s by default) and who the peer is. */
  statsIntervalMs?: number;
  peerCredentials?: HelperServerOptions['peerCredentials'];
  /** How often the firewall is checked (FIREWALL_CHECK_MS by default). */
  firewallCheckMs?: number;
  /** Tests: where sd_notify goes ($NOTIFY_SOCKET through the addon by default). */
  notify?: (fields: Record<string, string>) => void;
}

export interface RunningHelper {
  server: HelperServer;
  machine: TunnelStateMachine;
  /** Disconnects (orderly), waits for the state to settle, closes the socket. */
  shutdown(): Promise<void>;
}

export async function startHelper(
  args: HelperArgs,
  version: string,
  deps: HelperDeps = {},
): Promise<RunningHelper> {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = new SettingsStore();
  const loaded = await store.load();
  if (loaded.warning) log(`warn: ${loaded.warning}`);

  const access: AccessPolicy = { uids: new Set(args.allowUids) };
  let socketGid: number | undefined;
  const groupName = args.group ?? 'tsunagi';
  const [groupText, passwdText] = await Promise.all([
    readFile('/etc/group', 'utf8').catch(() => ''),
    readFile('/etc/passwd', 'utf8').catch(() => ''),
  ]);
  const group = groupAccess(groupName, groupText, passwdText);
  if (group) {
    access.gid = group.gid;
    access.memberUids = group.memberUids;
    socketGid = group.gid;
  } else if (args.group) throw new Error(`no group named ${args.group}`);

  const recovery = await recoverAfterCrash().catch((e: Error) => {
    log(`error: crash recovery failed: ${e.message}`);
    return undefined;
  });
  if (recovery) {
    const done = [
      recovery.revertedDns && "reverted the TUN's systemd-resolved DNS",
      recovery.removedTun && `removed ${recovery.entry.tun}`,
    ].filter(Boolean);
    log(
      `warn: repaired routes/DNS left by helper pid ${recovery.entry.pid}${done.length ? ` (${done.join(', ')})` : ''}`,
    );
    for (const p of recovery.problems) log(`error: crash recovery: ${p}`);
  }

  // the machine reports to the server, which needs the machine: wired through this holder
  const sink: { server?: HelperServer } = {};
  const machine = new TunnelStateMachine({
    firewall:
      deps.firewall ??
      timedFirewall(new NftablesFirewall(), (text) => sink.server?.log('debug', text, 'firewall')),
    driver: deps.driver ?? connectionDriver,
    settings: loaded.settings,
    onState: (s) => sink.server?.onState(s),
    onLog: (level, text, component = 'tunnel') =>
      sink.server
        ? sink.server.log(level, text, component)
        : log(`${level}: [${component}] ${text}`),
    onTimeline: (entry) => sink.server?.onTimeline(entry),
    firewallCheckMs: deps.firewallCheckMs ?? FIREWALL_CHECK_MS,
    ...(recovery
      ? {
          initial: new ErrorState(
            'helper-restarted',
            'the helper stopped while a tunnel was up; routes and DNS were repaired',
            'Connect again, or disconnect to clear this state.',
          ),
        }
      : {}),
  });
  const server = new HelperServer({
    socketPath: args.socketPath,
    access,
    machine,
    version,
    resolve: deps.resolve ?? dnsResolver,
    saveSettings: (s) => store.save(s),
    log,
    ...(socketGid !== undefined ? { socketGid } : {}),
    ...(deps.statsIntervalMs !== undefined ? { statsIntervalMs: deps.statsIntervalMs } : {}),
    ...(deps.peerCredentials ? { peerCredentials: deps.peerCredentials } : {}),
  });
  sink.server = server;
  if (!deps.firewall) {
    const nft = nftBackend();
    log(
      nft.kind === 'libnftables'
        ? 'info: firewall rulesets through libnftables (no nft process per change)'
        : `info: firewall rulesets through the nft command (${nft.reason})`,
    );
  }
  await machine.start();
  await server.listen();
  log(`info: listening on ${args.socketPath} (protocol ${version})`);
  // the first policy is in the kernel (or its failure is known): units after us may start
  const fw = machine.firewall();
  const ready = {
    READY: '1',
    STATUS: fw.error
      ? `kill switch NOT applied: ${fw.error}`
      : `${machine.state.name}, firewall ${fw.applied}`,
  };
  try {
    if (deps.notify) deps.notify(ready);
    else sdNotify(ready);
  } catch (e) {
    log(`warn: cannot tell systemd that the helper is ready: ${(e as Error).message}`);
  }

  const shutdown = async () => {
    const settled = () => machine.state.name === 'disconnected' || machine.state.name === 'error';
    if (!settled()) {
      await machine.dispatch({ type: 'disconnect' });
      const deadline = Date.now() + 10_000;
      while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    machine.dispose();
    await server.close();
  };
  return { server, machine, shutdown };
}

/** The daemon's process entry: runs until SIGTERM/SIGINT. */
export async function helperCommand(args: readonly string[], version: string): Promise<number> {
  const parsed = parseHelperArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`tsunagi helper: ${parsed}\nusage: ${HELPER_USAGE}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'tsunagi helper: must run as root (it manages TUN, routes, DNS, nftables)\n',
    );
    return 1;
  }
  const helper = await startHelper(parsed, version);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      helper.shutdown().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}

/**
 * The firewall with each apply's time in the debug log: a policy change is one kernel commit
 * that waits for an RCU grace period when it replaces rules (8–16 ms), on every connect.
 */
function timedFirewall(firewall: Firewall, log: (text: string) => void): Firewall {
  return {
    apply: async (policy: FirewallPolicy) => {
      const start = performance.now();
      await firewall.apply(policy);
      const backend = nftBackend().kind;
      log(
        `applied the ${policy.kind} policy in ${(performance.now() - start).toFixed(1)} ms (${backend})`,
      );
    },
    ...(firewall.intact ? { intact: (p: FirewallPolicy) => firewall.intact!(p) } : {}),
    ...(firewall.watch ? { watch: (changed: () => void) => firewall.watch!(changed) } : {}),
  };
}
