/**
 * `npm run bench [-- --pairs N --seconds S --packets P --quick]`: Tsunagi next to strongSwan's own
 * initiator in one run, on the interop bed (test/interop/support). Writes bench-results/bench.json
 * and bench-results/bench.md. Exit 0 when every measurement ran (a MISS is a result, not a
 * failure); 1 when something could not be measured; 2 when the machine cannot run it.
 *
 * Each pair is "ours, then the reference" on the same bed and gateway:
 *   1. connect: pinger (20 ms) toward 10.99.0.10 ready → spawn `tsunagi connect` / VICI initiate
 *      → first echo reply; plus the engine alone (our JSON timeline: ike-sa-init-sent →
 *      established; strongSwan: initiate → initiate returned);
 *   2. iperf3 TCP, one stream, client → host and host → client, with the initiator process's
 *      CPU time (utime + stime) over each transfer;
 *   3. our client's VmRSS idle-connected and its peak during iperf.
 * Then in process: EspSa seal/open vs raw node:crypto (dataplane.ts), and the renderer's size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createPki } from '../interop/support/pki.js';
import { startReferenceClient, type ReferenceClient } from '../interop/support/reference-client.js';
import { startGateway, type Gateway } from '../interop/support/strongswan.js';
import { createTestbed, type IperfResult, type Testbed } from '../interop/support/testbed.js';
import { benchDataPlane, type DataPlaneRow } from './dataplane.js';
import {
  cpuSeconds,
  dirSize,
  ESP_PROPOSAL,
  IKE_PROPOSAL,
  missingPrerequisites,
  processName,
  rssBytes,
  rssSampler,
  sleep,
  staleBuildWarning,
  timeToFirstReply,
  TsunagiProcess,
  writePskProfile,
} from './lib.js';

// ---------------------------------------------------------------------------------------------
// options

interface Options {
  pairs: number;
  seconds: number;
  packets: number;
  rounds: number;
  quick: boolean;
  outDir: string;
  skipNetwork: boolean;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = {
    pairs: quick ? 1 : 7,
    seconds: quick ? 2 : 10,
    packets: quick ? 3000 : 50_000,
    rounds: quick ? 1 : 5,
    quick,
    outDir: 'bench-results',
    skipNetwork: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (name: string) => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
      return v;
    };
    if (a === '--quick') continue;
    else if (a === '--pairs') o.pairs = Math.round(num(a));
    else if (a === '--seconds') o.seconds = num(a);
    else if (a === '--packets') o.packets = Math.round(num(a));
    else if (a === '--rounds') o.rounds = Math.round(num(a));
    else if (a === '--out') o.outDir = argv[++i]!;
    else if (a === '--dataplane-only') o.skipNetwork = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'npm run bench -- [--pairs N (7)] [--seconds S (10)] [--packets P (50000)] [--rounds R (5)]\n' +
          '                 [--quick] [--dataplane-only] [--out DIR (bench-results)]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// statistics and report rows

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const min = (xs: number[]) => Math.min(...xs);
const max = (xs: number[]) => Math.max(...xs);

type Verdict = 'PASS' | 'MISS' | 'info' | 'not measured';

interface Row {
  metric: string;
  unit: string;
  ours: number[];
  ref: number[] | undefined;
  /** ours/ref per pair (or vs raw). */
  ratios: number[] | undefined;
  target: string;
  verdict: Verdict;
  note?: string;
}

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}
const mmm = (xs: number[] | undefined) =>
  xs && xs.length ? `${fmt(min(xs))} / ${fmt(median(xs))} / ${fmt(max(xs))}` : '–';

function compare(
  metric: string,
  unit: string,
  ours: number[],
  ref: number[],
  target: { kind: '<=' | '>='; ratio: number } | undefined,
  note?: string,
): Row {
  const n = Math.min(ours.length, ref.length);
  const ratios = Array.from({ length: n }, (_, i) => ours[i]! / ref[i]!);
  const m = median(ratios);
  let verdict: Verdict = 'info';
  let targetText = '–';
  if (target) {
    targetText = `ratio ${target.kind} ${target.ratio}`;
    verdict =
      n === 0
        ? 'not measured'
        : (target.kind === '<=' ? m <= target.ratio : m >= target.ratio)
          ? 'PASS'
          : 'MISS';
  }
  return {
    metric,
    unit,
    ours,
    ref,
    ratios,
    target: targetText,
    verdict,
    ...(note ? { note } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// one side of a pair

interface SideResult {
  connectMs: number;
  /** Ours only: spawn → first JSON line (Node start-up, bundle load, profile). */
  startupMs?: number;
  /** Ours only: spawn → "connected" line (SAs, TUN, routes, DNS in place). */
  connectedMs?: number;
  engineMs: number;
  fwd: IperfResult;
  rev: IperfResult;
  cpuFwd: number;
  cpuRev: number;
  idleRss: number;
  loadRss: number;
}

const GB = 1e9;

async function iperfWithCpu(bed: Testbed, pid: number, seconds: number, reverse: boolean) {
  const before = cpuSeconds(pid);
  const sampler = rssSampler(pid);
  const r = await bed.iperf3({ seconds, reverse });
  const peak = sampler.stop();
  const cpu = cpuSeconds(pid) - before;
  return { r, cpu, peak };
}

async function gatewayIdle(gw: Gateway): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await gw.listSas()).length === 0) return;
    await sleep(50);
  }
  throw new Error(`the gateway still has SAs: ${JSON.stringify(await gw.listSas())}`);
}

async function runOurs(
  bed: Testbed,
  gw: Gateway,
  profile: string,
  o: Options,
): Promise<SideResult> {
  let client: TsunagiProcess | undefined;
  try {
    const { ms: connectMs, value } = await timeToFirstReply(bed, () => {
      client = new TsunagiProcess(bed, profile, { json: true });
      return client;
    });
    const c = value;
    const up = await c.state(['connected', 'error'], 30_000);
    if (up.state !== 'connected') throw new Error(`tsunagi: ${JSON.stringify(up)}`);
    if (up.ike !== IKE_PROPOSAL || up.esp !== ESP_PROPOSAL) {
      throw new Error(`tsunagi negotiated ${String(up.ike)} / ${String(up.esp)}`);
    }
    if (processName(c.pid) !== 'node') throw new Error(`pid ${c.pid} is ${processName(c.pid)}`);
    const engineMs = c.engineMs();
    if (engineMs === undefined) throw new Error('no ike-sa-init-sent/established in the timeline');
    const startupMs = c.sinceSpawn();
    const connectedMs = c.sinceSpawn('connected');
    await sleep(1000);
    const idleRss = rssBytes(c.pid);
    const fwd = await iperfWithCpu(bed, c.pid, o.seconds, false);
    const rev = await iperfWithCpu(bed, c.pid, o.seconds, true);
    const code = await c.stop();
    if (code !== 0) throw new Error(`tsunagi exited ${code}: ${c.text.slice(-4).join(' | ')}`);
    await gatewayIdle(gw);
    return {
      connectMs,
      ...(startupMs !== undefined ? { startupMs } : {}),
      ...(connectedMs !== undefined ? { connectedMs } : {}),
      engineMs,
      fwd: fwd.r,
      rev: rev.r,
      cpuFwd: fwd.cpu,
      cpuRev: rev.cpu,
      idleRss,
      loadRss: Math.max(fwd.peak, rev.peak),
    };
  } finally {
    if (client?.running) await client.stop();
  }
}

async function runReference(
  bed: Testbed,
  gw: Gateway,
  pki: Awaited<ReturnType<typeof createPki>>,
  o: Options,
): Promise<SideResult> {
  // charon binds UDP 500/4500 in the client namespace, as ours does: it runs only for its turn.
  let ref: ReferenceClient | undefined;
  try {
    ref = await startReferenceClient(bed, { pki });
    const r = ref;
    const pid = r.charon.pid!;
    if (processName(pid) !== 'charon') throw new Error(`pid ${pid} is ${processName(pid)}`);
    let establishedAt = 0;
    const t = await timeToFirstReply(bed, async () => {
      const t0 = performance.now();
      await r.charon.initiate('psk', 'net');
      establishedAt = performance.now() - t0;
    });
    await t.value;
    const sa = (await r.listSas()).find((s) => s.state === 'ESTABLISHED');
    if (!sa) throw new Error('reference: no established IKE SA');
    await sleep(1000);
    const idleRss = rssBytes(pid);
    const fwd = await iperfWithCpu(bed, pid, o.seconds, false);
    const rev = await iperfWithCpu(bed, pid, o.seconds, true);
    await r.stop();
    ref = undefined;
    await gatewayIdle(gw);
    return {
      connectMs: t.ms,
      engineMs: establishedAt,
      fwd: fwd.r,
      rev: rev.r,
      cpuFwd: fwd.cpu,
      cpuRev: rev.cpu,
      idleRss,
      loadRss: Math.max(fwd.peak, rev.peak),
    };
  } finally {
    if (ref) await ref.stop().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = new Date();
  const loadAtStart = loadavg()[0]!;
  const rows: Row[] = [];
  const failures: string[] = [];
  const log = (s: string) => process.stdout.write(`${s}\n`);

  const missing = o.skipNetwork ? [] : missingPrerequisites();
  if (missing.length) {
    for (const m of missing) process.stderr.write(`bench: ${m}\n`);
    return 2;
  }
  const stale = staleBuildWarning();
  if (stale) log(`WARNING: ${stale}`);
  log(
    `Tsunagi benchmarks — ${started.toISOString()} — ${cpus().length} cores, Node ${process.version}` +
      ` — pairs ${o.pairs}, iperf ${o.seconds} s, ${o.packets} packets × ${o.rounds} rounds${o.quick ? ' (quick)' : ''}`,
  );

  // -- 3. data plane in process (first, while nothing else of ours runs) ----------------------
  log('\n[data plane] EspSa seal/open vs raw node:crypto, 1400-byte packets, one thread');
  try {
    const dp: DataPlaneRow[] = benchDataPlane(o.packets, o.rounds);
    for (const r of dp) {
      const row = compare(
        `ESP ${r.direction} ${r.cipher}`,
        'Gbit/s',
        r.oursGbps,
        r.rawGbps,
        { kind: '>=', ratio: 0.5 },
        'ref = raw node:crypto AEAD, same sizes',
      );
      if (r.cipher === 'AES-256-GCM') {
        const m = median(r.oursGbps);
        row.target = 'ratio >= 0.5 and >= 1.5 Gbit/s';
        if (row.verdict === 'PASS' && !(m >= 1.5)) row.verdict = 'MISS';
      }
      rows.push(row);
      log(`  ${row.metric}: ours ${mmm(r.oursGbps)}  raw ${mmm(r.rawGbps)}  → ${row.verdict}`);
    }
  } catch (e) {
    failures.push(`data plane: ${(e as Error).message}`);
    log(`  FAILED: ${(e as Error).message}`);
  }

  // -- 1, 2, 4: on the bed ---------------------------------------------------------------------
  const ours: SideResult[] = [];
  const refs: SideResult[] = [];
  if (!o.skipNetwork) {
    let bed: Testbed | undefined;
    let gw: Gateway | undefined;
    try {
      log('\n[bed] namespaces, PKI, strongSwan gateway');
      bed = await createTestbed();
      const pki = await createPki(bed.tempDir('pki'));
      gw = await startGateway(bed, { pki });
      const profile = writePskProfile(bed);
      for (let i = 1; i <= o.pairs; i++) {
        const a = await runOurs(bed, gw, profile, o);
        ours.push(a);
        const b = await runReference(bed, gw, pki, o);
        refs.push(b);
        const mb = (r: IperfResult) => fmt(r.bitsPerSecond / 1e6);
        log(
          `  pair ${i}/${o.pairs}: connect ${fmt(a.connectMs)} vs ${fmt(b.connectMs)} ms;` +
            ` →host ${mb(a.fwd)} vs ${mb(b.fwd)} Mbit/s; ←host ${mb(a.rev)} vs ${mb(b.rev)} Mbit/s`,
        );
      }
    } catch (e) {
      const msg = (e as Error).stack ?? String(e);
      failures.push(`bed: ${msg}`);
      log(`  FAILED after ${ours.length} of ours / ${refs.length} reference runs: ${msg}`);
    } finally {
      await gw?.stop().catch(() => undefined);
      await bed?.destroy();
    }
  }

  const n = Math.min(ours.length, refs.length);
  if (n > 0) {
    const A = ours.slice(0, n);
    const B = refs.slice(0, n);
    const mbps = (r: IperfResult) => r.bitsPerSecond / 1e6;
    const perGb = (cpu: number, r: IperfResult) => cpu / (r.bytes / GB);
    rows.push(
      compare(
        'connect: spawn/initiate → first echo reply',
        'ms',
        A.map((r) => r.connectMs),
        B.map((r) => r.connectMs),
        { kind: '<=', ratio: 0.8 },
        'PSK + x25519, ping every 20 ms; ours includes starting Node',
      ),
      compare(
        'connect, engine alone: IKE_SA_INIT sent → established',
        'ms',
        A.map((r) => r.engineMs),
        B.map((r) => r.engineMs),
        undefined,
        'ours from the JSON timeline; strongSwan: VICI initiate → returned',
      ),
      {
        metric: 'ours: spawn → first output line (Node start-up, bundle, profile)',
        unit: 'ms',
        ours: A.map((r) => r.startupMs ?? NaN),
        ref: undefined,
        ratios: undefined,
        target: '–',
        verdict: 'info',
      },
      {
        metric: 'ours: spawn → "connected" line (SAs, TUN, routes, DNS in place)',
        unit: 'ms',
        ours: A.map((r) => r.connectedMs ?? NaN),
        ref: undefined,
        ratios: undefined,
        target: '–',
        verdict: 'info',
      },
      compare(
        'iperf3 TCP client → host',
        'Mbit/s',
        A.map((r) => mbps(r.fwd)),
        B.map((r) => mbps(r.fwd)),
        {
          kind: '>=',
          ratio: 1.0,
        },
      ),
      compare(
        'iperf3 TCP host → client',
        'Mbit/s',
        A.map((r) => mbps(r.rev)),
        B.map((r) => mbps(r.rev)),
        {
          kind: '>=',
          ratio: 1.0,
        },
      ),
      compare(
        'CPU per GB, client → host',
        's/GB',
        A.map((r) => perGb(r.cpuFwd, r.fwd)),
        B.map((r) => perGb(r.cpuFwd, r.fwd)),
        { kind: '<=', ratio: 1.0 },
        'utime+stime of our node process vs the reference charon',
      ),
      compare(
        'CPU per GB, host → client',
        's/GB',
        A.map((r) => perGb(r.cpuRev, r.rev)),
        B.map((r) => perGb(r.cpuRev, r.rev)),
        { kind: '<=', ratio: 1.0 },
      ),
    );
    const rssRow = (metric: string, xs: number[], refXs: number[]): Row => {
      const m = median(xs);
      return {
        metric,
        unit: 'MB',
        ours: xs,
        ref: refXs,
        ratios: undefined,
        target: '<= 100 MB',
        verdict: max(xs) <= 100 ? 'PASS' : 'MISS',
        note: `ref = charon's VmRSS, for comparison; median ${fmt(m)} MB`,
      };
    };
    const mbOf = (b: number) => b / 2 ** 20;
    rows.push(
      rssRow(
        'RSS idle-connected',
        A.map((r) => mbOf(r.idleRss)),
        B.map((r) => mbOf(r.idleRss)),
      ),
      rssRow(
        'RSS peak under iperf',
        A.map((r) => mbOf(r.loadRss)),
        B.map((r) => mbOf(r.loadRss)),
      ),
    );
  } else if (!o.skipNetwork) {
    failures.push('no complete pair: connect/throughput/footprint not measured');
  }

  try {
    const kb = dirSize('dist/renderer') / 1024;
    rows.push({
      metric: 'renderer bundle (dist/renderer)',
      unit: 'KiB',
      ours: [kb],
      ref: undefined,
      ratios: undefined,
      target: '–',
      verdict: 'info',
    });
  } catch (e) {
    rows.push({
      metric: 'renderer bundle (dist/renderer)',
      unit: 'KiB',
      ours: [],
      ref: undefined,
      ratios: undefined,
      target: '–',
      verdict: 'not measured',
      note: `run \`npm run build\` first (${(e as Error).message})`,
    });
  }
  for (const [metric, why] of [
    [
      'MOBIKE gap (ping loss while moving uplinks)',
      'the client does not implement MOBIKE address updates yet',
    ],
    ['reconnect after a gateway restart', 'the client does not reconnect on its own yet'],
    ['DPD detection time', 'the client does not act on a dead peer yet'],
  ] as const) {
    rows.push({
      metric,
      unit: '',
      ours: [],
      ref: undefined,
      ratios: undefined,
      target: '–',
      verdict: 'not measured',
      note: why,
    });
  }

  // -- report ---------------------------------------------------------------------------------
  const table = [
    '| metric | unit | Tsunagi min / median / max | reference (strongSwan; raw node:crypto for ESP) min / median / max | ratio per pair | median ratio | target | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.metric} | ${r.unit} | ${mmm(r.ours)} | ${mmm(r.ref)} | ${r.ratios ? r.ratios.map(fmt).join(' ') : '–'} | ${r.ratios ? fmt(median(r.ratios)) : '–'} | ${r.target} | ${r.verdict}${r.note ? ` (${r.note})` : ''} |`,
    ),
  ];
  const md = [
    '# Tsunagi benchmarks',
    '',
    `Command: \`${command}\` — ${started.toISOString()} — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}.`,
    `Load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (other jobs share the machine).`,
    `Pairs: ${n} (ours then strongSwan 5.9.8's initiator, alternating), iperf3 ${o.seconds} s per direction, data plane ${o.packets} packets × ${o.rounds} rounds.${o.quick ? ' Quick smoke mode: numbers are not meaningful.' : ''}`,
    '',
    ...table,
    '',
    ...(failures.length
      ? ['Failures:', '', ...failures.map((f) => `- ${f.split('\n')[0]}`), '']
      : []),
  ].join('\n');
  mkdirSync(o.outDir, { recursive: true });
  writeFileSync(join(o.outDir, 'bench.md'), md);
  writeFileSync(
    join(o.outDir, 'bench.json'),
    JSON.stringify(
      {
        command,
        date: started.toISOString(),
        options: o,
        machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version },
        rows: rows.map((r) => ({
          ...r,
          oursStats: r.ours.length
            ? { min: min(r.ours), median: median(r.ours), max: max(r.ours) }
            : undefined,
          refStats: r.ref?.length
            ? { min: min(r.ref), median: median(r.ref), max: max(r.ref) }
            : undefined,
          medianRatio: r.ratios?.length ? median(r.ratios) : undefined,
        })),
        pairs: ours.map((a, i) => ({
          ours: strip(a),
          reference: refs[i] ? strip(refs[i]) : undefined,
        })),
        failures,
      },
      null,
      2,
    ),
  );
  log(`\n${table.join('\n')}\n`);
  if (failures.length) log(`FAILED: ${failures.map((f) => f.split('\n')[0]).join('; ')}`);
  log(`wrote ${join(o.outDir, 'bench.md')} and bench.json`);
  return failures.length ? 1 : 0;
}

function strip(r: SideResult) {
  const io = (x: IperfResult) => ({
    bitsPerSecond: x.bitsPerSecond,
    bytes: x.bytes,
    seconds: x.seconds,
    retransmits: x.retransmits,
  });
  return { ...r, fwd: io(r.fwd), rev: io(r.rev) };
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
