/**
 * `--cpu-prof`: where our client's CPU time goes while it moves iperf3 traffic. One extra run of
 * `tsunagi connect` under `node --cpu-prof` (not part of the pairs: the profiler costs time), an
 * iperf3 run each way, and a self-time summary per function of the samples inside each iperf3
 * window. V8's profile clock and process.hrtime are both CLOCK_MONOTONIC, so the windows are cut
 * from hrtime stamps taken around each transfer. Bundle positions are mapped back to the sources
 * through dist/native-helper/cli.js.map.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Testbed } from '../interop/support/testbed.js';
import { CLI_BUNDLE, median, sleep, TsunagiProcess } from './lib.js';
import { startResidentHelper, type ResidentConnect } from './resident.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** Function name and source position (original .ts where the source map knows it). */
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) time in the window. */
  share: number;
}

export interface ProfileWindow {
  label: string;
  windowMs: number;
  busyMs: number;
  gcMs: number;
  top: ProfileEntry[];
  byFile: ProfileEntry[];
  /** Our own functions (native-helper/) by total time: self plus everything they called. */
  inclusive: ProfileEntry[];
}

const hrUs = () => Number(process.hrtime.bigint() / 1000n);

/** The bundle's source map as it is now (read it before the profiled run: others may rebuild). */
export function loadSourceMap(): SourceMap | undefined {
  const mapPath = `${CLI_BUNDLE}.map`;
  if (!existsSync(mapPath)) return undefined;
  return new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')) as never);
}

function describeFrame(
  f: CpuProfileNode['callFrame'],
  map: SourceMap | null | undefined,
  bundleUrl: string,
): { where: string; file: string } {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return { where: name, file: name };
  if (f.url === bundleUrl && map && f.lineNumber >= 0) {
    const e = map.findEntry(f.lineNumber, f.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (e.originalSource !== undefined && e.originalLine !== undefined) {
      const src = e.originalSource.startsWith('file:')
        ? fileURLToPath(e.originalSource)
        : resolve(join(process.cwd(), 'dist/native-helper'), e.originalSource);
      const file = relative(process.cwd(), src);
      return { where: `${name} ${file}:${e.originalLine + 1}`, file };
    }
  }
  const file = f.url.startsWith('file:') ? relative(process.cwd(), fileURLToPath(f.url)) : f.url;
  return { where: `${name} ${file}:${f.lineNumber + 1}`, file };
}

/** Self time per function (and per source file) of the samples inside the spans (µs, hrtime). */
export function summarise(
  profile: CpuProfile,
  label: string,
  spans: readonly { from: number; to: number }[],
  /** null: no mapping (bundle positions). */
  map: SourceMap | null | undefined = loadSourceMap(),
  topN = 25,
): ProfileWindow {
  const bundleUrl = `file://${resolve(CLI_BUNDLE)}`;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = new Map<string, number>();
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  let t = profile.startTime;
  const described = new Map<number, { where: string; file: string }>();
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // a sample stands for the time until the next one
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (!spans.some((w) => t >= w.from && t <= w.to)) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') continue;
    busy += dt;
    if (fn === '(garbage collector)') gc += dt;
    let d = described.get(node.id);
    if (!d) {
      d = describeFrame(node.callFrame, map, bundleUrl);
      described.set(node.id, d);
    }
    self.set(d.where, (self.get(d.where) ?? 0) + dt);
    files.set(d.file, (files.get(d.file) ?? 0) + dt);
    // inclusive time of our own frames on this sample's stack (each counted once per sample)
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!;
      let fd = described.get(id);
      if (!fd) {
        fd = describeFrame(f.callFrame, map, bundleUrl);
        described.set(id, fd);
      }
      if (fd.file.startsWith('native-helper/') && !seen.has(fd.where)) {
        seen.add(fd.where);
        total.set(fd.where, (total.get(fd.where) ?? 0) + dt);
      }
    }
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([where, ms]) => ({ where, selfMs: ms, share: busy > 0 ? ms / busy : 0 }));
  return {
    label,
    windowMs: spans.reduce((sum, w) => sum + (w.to - w.from), 0) / 1000,
    busyMs: busy,
    gcMs: gc,
    top: rank(self, topN),
    byFile: rank(files, 15),
    inclusive: rank(total, 15),
  };
}

export function formatWindow(w: ProfileWindow, n = 25): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  // connect windows are milliseconds long: show them in ms with decimals
  const short = w.windowMs < 2000;
  const span = (ms: number) => (short ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);
  const cell = (ms: number) => ms.toFixed(short ? 2 : 0);
  return [
    `### ${w.label}`,
    '',
    `Window ${span(w.windowMs)}; our JS thread was busy ${span(w.busyMs)} ` +
      `(${pct(w.busyMs / w.windowMs)}), of which garbage collection ${span(w.gcMs)}.`,
    '',
    '| self ms | share of busy | function and source |',
    '| ---: | ---: | --- |',
    ...w.top.slice(0, n).map((e) => `| ${cell(e.selfMs)} | ${pct(e.share)} | ${e.where} |`),
    '',
    '| self ms | share of busy | by file |',
    '| ---: | ---: | --- |',
    ...w.byFile.map((e) => `| ${cell(e.selfMs)} | ${pct(e.share)} | ${e.where} |`),
    '',
    '| total ms (self + callees) | share of busy | our function |',
    '| ---: | ---: | --- |',
    ...w.inclusive
      .slice(0, Math.min(n, 15))
      .map((e) => `| ${cell(e.selfMs)} | ${pct(e.share)} | ${e.where} |`),
    '',
  ];
}

/**
 * Connects once under `node --cpu-prof`, runs iperf3 client → host then host → client, stops
 * the client (the profile is written on exit) and summarises both windows. The raw profile stays
 * in `dir` (open it in Chrome DevTools or speedscope for the flame graph).
 */
export async function profileIperf(
  bed: Testbed,
  profilePath: string,
  seconds: number,
  dir: string,
): Promise<{ windows: ProfileWindow[]; file: string }> {
  mkdirSync(dir, { recursive: true });
  const map = loadSourceMap();
  const builtAt = existsSync(CLI_BUNDLE) ? statSync(CLI_BUNDLE).mtimeMs : 0;
  const name = `tsunagi-client-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  const file = resolve(dir, name);
  const c = new TsunagiProcess(bed, profilePath, {
    json: true,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', resolve(dir), '--cpu-prof-name', name],
  });
  const spans: { label: string; from: number; to: number }[] = [];
  try {
    const up = await c.state(['connected', 'error'], 30_000);
    if (up.state !== 'connected') throw new Error(`tsunagi: ${JSON.stringify(up)}`);
    await sleep(500);
    for (const reverse of [false, true]) {
      const from = hrUs();
      const r = await bed.iperf3({ seconds, reverse });
      const to = hrUs();
      spans.push({
        label: `iperf3 TCP ${reverse ? 'host → client' : 'client → host'} (${(r.bitsPerSecond / 1e6).toFixed(0)} Mbit/s under the profiler)`,
        from,
        to,
      });
    }
  } catch (e) {
    await c.stop();
    throw e;
  }
  // the profile is written when node exits normally
  const code = await c.stop();
  if (code !== 0) {
    throw new Error(`tsunagi exited ${code} under --cpu-prof: ${c.text.slice(-4).join(' | ')}`);
  }
  if (!existsSync(file)) throw new Error(`node wrote no profile to ${file}`);
  // Rebuilt meanwhile (others share the checkout): the map we hold may not match the bundle that
  // ran, so positions stay bundle lines rather than being mapped wrongly.
  const rebuilt = statSync(CLI_BUNDLE).mtimeMs !== builtAt;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return {
    windows: spans.map((s) =>
      summarise(
        profile,
        rebuilt
          ? `${s.label} [${CLI_BUNDLE} was rebuilt during the run: bundle positions]`
          : s.label,
        [s],
        rebuilt ? null : map,
      ),
    ),
    file,
  };
}

/**
 * The connect path under `node --cpu-prof`: a resident helper (as the app connects) started with
 * the profiler sampling every 100 µs, `count` connects and disconnects, and a self-time summary of
 * the samples inside the connects (request sent → connected). The first connect is summarised
 * apart: it also pays for the JIT warming up and modules loading on first use.
 */
export async function profileResidentConnects(
  bed: Testbed,
  profilePath: string,
  count: number,
  dir: string,
): Promise<{
  warm: ProfileWindow;
  first: ProfileWindow;
  file: string;
  connects: ResidentConnect[];
}> {
  mkdirSync(dir, { recursive: true });
  const map = loadSourceMap();
  const builtAt = existsSync(CLI_BUNDLE) ? statSync(CLI_BUNDLE).mtimeMs : 0;
  const name = `tsunagi-helper-connect-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  const file = resolve(dir, name);
  const helper = await startResidentHelper(bed, profilePath, {
    nodeArgs: [
      '--cpu-prof',
      '--cpu-prof-dir',
      resolve(dir),
      '--cpu-prof-name',
      name,
      '--cpu-prof-interval',
      '100',
    ],
  });
  const connects: ResidentConnect[] = [];
  try {
    for (let i = 0; i < Math.max(2, count); i++) connects.push(await helper.connect());
  } finally {
    await helper.stop();
  }
  // the profile is written as the helper exits
  for (let i = 0; !existsSync(file) && i < 100; i++) await sleep(50);
  if (!existsSync(file)) throw new Error(`the helper wrote no profile to ${file}`);
  const rebuilt = statSync(CLI_BUNDLE).mtimeMs !== builtAt;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const note = rebuilt ? ` [${CLI_BUNDLE} was rebuilt during the run: bundle positions]` : '';
  const warm = connects.slice(1);
  return {
    warm: summarise(
      profile,
      `${warm.length} connects through a resident helper under the profiler (request sent → connected; median ${median(warm.map((c) => c.connectMs)).toFixed(1)} ms to the first reply)${note}`,
      warm.map((c) => c.spanUs),
      rebuilt ? null : map,
    ),
    first: summarise(
      profile,
      `the helper's first connect (JIT warming up, modules loaded on first use: ${connects[0]!.connectMs.toFixed(1)} ms to the first reply)${note}`,
      [connects[0]!.spanUs],
      rebuilt ? null : map,
    ),
    file,
    connects,
  };
}
