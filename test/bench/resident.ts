/**
 * Connect time through a resident helper, as the app connects: the helper (`tsunagi helper`)
 * already runs in the client namespace, a client sends `connect` over its socket, and the clock
 * stops at the first echo reply through the tunnel — no Node start-up inside the measurement,
 * which makes it the fair comparison with charon's `initiate`. The helper's timeline splits the
 * time into phases.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HelperClient } from '../../native-helper/ipc/client.js';
import { profileFileRefs } from '../../native-helper/profile/profile-files.js';
import { parseProfile } from '../../native-helper/profile/profile.js';
import type { LogEntry, TimelineEntry, TunnelState } from '../../native-helper/ipc/protocol.js';
import type { Testbed } from '../interop/support/testbed.js';
import { CLI, sleep, timeToFirstReply } from './lib.js';

const hrUs = () => Number(process.hrtime.bigint() / 1000n);

export interface ResidentConnect {
  /** connect request sent → first echo reply */
  connectMs: number;
  /** connect request sent → IKE_SA_INIT sent */
  toInitMs: number;
  /** IKE_SA_INIT sent → established (the engine alone) */
  engineMs: number;
  /** established → the `connected` state (TUN, routes, DNS, the connected policy) */
  setupMs: number;
  /** of setupMs: the TUN, routes and DNS (the helper's "tunnel set up in" log line) */
  tunnelSetupMs: number | undefined;
  /** of setupMs: applying the connected firewall policy (the helper's debug log) */
  connectedPolicyMs: number | undefined;
  /** the connecting (blocked) policy's apply, which overlaps the IKE exchange */
  connectingPolicyMs: number | undefined;
  /** the `connected` state → first echo reply */
  toReplyMs: number;
  /** request sent → the `connected` state or the first reply, whichever came later (hrtime µs) */
  spanUs: { from: number; to: number };
}

export interface ResidentHelper {
  readonly pid: number;
  /** Connects with the helper's profile, or another (the files it names sent along, as `up`). */
  connect(profilePath?: string): Promise<ResidentConnect>;
  stop(): Promise<void>;
}

/** Starts `tsunagi helper` in the client namespace with private state and config folders. */
export async function startResidentHelper(
  bed: Testbed,
  profilePath: string,
  options: { nodeArgs?: string[] } = {},
): Promise<ResidentHelper> {
  const dir = bed.tempDir('resident-helper');
  const socket = join(dir, 'helper.sock');
  let log = '';
  const proc: ChildProcess = bed.spawn(
    bed.ns.client,
    [process.execPath, ...(options.nodeArgs ?? []), CLI, 'helper', '--socket', socket],
    {
      stdio: 'pipe',
      env: {
        ...process.env,
        TSUNAGI_STATE_DIR: join(dir, 'run'),
        TSUNAGI_CONFIG_DIR: join(dir, 'lib'),
      },
    },
  );
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stdout!.on('data', () => undefined);
  for (let i = 0; !log.includes('listening on'); i++) {
    if (i > 300 || proc.exitCode !== null) throw new Error(`the helper did not start: ${log}`);
    await sleep(50);
  }
  /** The connect request for a profile file: the profile and the files it names. */
  const requestFor = (path: string) => {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const files: Record<string, string> = {};
    for (const ref of profileFileRefs(parseProfile(profile)))
      files[ref.path] = readFileSync(resolve(dirname(path), ref.path), 'utf8');
    return { method: 'connect' as const, profile, ...(Object.keys(files).length ? { files } : {}) };
  };
  const defaultRequest = requestFor(profilePath);
  const client = await HelperClient.open(socket, 'bench');
  const timeline: TimelineEntry[] = [];
  const logs: LogEntry[] = [];
  const states: { state: TunnelState; at: number; hrUs: number }[] = [];
  client.onEvent((e) => {
    if (e.event === 'timeline') timeline.push(e.entry);
    if (e.event === 'log') logs.push(e.entry);
    if (e.event === 'state') states.push({ state: e.state, at: Date.now(), hrUs: hrUs() });
  });
  await client.request({ method: 'subscribe', topics: ['state', 'timeline', 'log'] });
  /** A number the helper logged in a line matching `re` (its first group), since the connect. */
  const logged = (re: RegExp): number | undefined => {
    for (const l of logs) {
      const m = re.exec(l.text);
      if (m) return Number(m[1]);
    }
    return undefined;
  };

  const waitState = async (wanted: TunnelState['state'], sinceIndex: number) => {
    for (let i = 0; i < 600; i++) {
      const s = states.slice(sinceIndex).find((x) => x.state.state === wanted);
      if (s) return s;
      const bad = states.slice(sinceIndex).find((x) => x.state.state === 'error');
      if (bad) throw new Error(`helper: ${JSON.stringify(bad.state)}`);
      await sleep(50);
    }
    throw new Error(`helper: no ${wanted} state after 30 s: ${log.slice(-500)}`);
  };

  return {
    pid: proc.pid!,
    async connect(path?: string) {
      const request = path === undefined ? defaultRequest : requestFor(path);
      timeline.length = 0;
      logs.length = 0;
      const from = states.length;
      let sentAt = 0;
      let sentHrUs = 0;
      const t = await timeToFirstReply(bed, () => {
        sentAt = Date.now();
        sentHrUs = hrUs();
        return client.request(request);
      });
      const replyAt = sentAt + t.ms;
      await t.value;
      const connected = await waitState('connected', from);
      const at = (kind: TimelineEntry['kind']) => {
        const e = timeline.find((x) => x.kind === kind);
        if (!e)
          throw new Error(
            `helper timeline has no ${kind}: ${timeline.map((x) => x.kind).join(', ')}`,
          );
        return e.at;
      };
      const init = at('ike-sa-init-sent');
      const established = at('established');
      const result: ResidentConnect = {
        connectMs: t.ms,
        toInitMs: init - sentAt,
        engineMs: established - init,
        setupMs: connected.at - established,
        tunnelSetupMs: logged(/^tunnel set up in ([\d.]+) ms/),
        connectedPolicyMs: logged(/^applied the connected policy in ([\d.]+) ms/),
        connectingPolicyMs: logged(/^applied the blocked policy in ([\d.]+) ms/),
        toReplyMs: replyAt - connected.at,
        spanUs: {
          from: sentHrUs,
          to: Math.max(connected.hrUs, sentHrUs + Math.round(t.ms * 1000)),
        },
      };
      const before = states.length;
      await client.request({ method: 'disconnect' });
      await waitState('disconnected', before);
      return result;
    },
    async stop() {
      client.close();
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.on('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
    },
  };
}
