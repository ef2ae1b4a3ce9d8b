/**
 * A running pinger in a namespace whose replies are timestamped as they arrive, for measuring
 * gaps (MOBIKE moves, reconnects, rekeys) rather than just counting replies. It runs the same
 * python3 raw-socket program as `bed.ping` (support/icmp.ts), for `durationSec` (or until
 * stopped), and keeps every reply's sequence number and arrival time (performance.now()).
 */
import type { ChildProcess } from 'node:child_process';
import { parsePing, pingArgv } from './icmp.js';
import { ADDR, type Testbed } from './testbed.js';

export interface PingReply {
  seq: number;
  /** performance.now() in this process when the reply line arrived. */
  at: number;
}

export interface PingSummary {
  transmitted: number;
  received: number;
  /** Sequence numbers that never got a reply (1-based, as sent). */
  lostSeqs: number[];
}

export class Pinger {
  readonly replies: PingReply[] = [];
  readonly intervalSec: number;
  private out = '';
  private readonly proc: ChildProcess;
  private readonly closed: Promise<void>;

  private constructor(proc: ChildProcess, intervalSec: number) {
    this.proc = proc;
    this.intervalSec = intervalSec;
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const now = performance.now();
      this.out += d;
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^reply seq=(\d+) /.exec(line);
        if (m) this.replies.push({ seq: Number(m[1]), at: now });
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.closed = new Promise((r) => proc.on('close', () => r()));
  }

  /**
   * Starts pinging `target` (default the protected host) from `ns` (default the client's) every
   * `intervalSec` for `durationSec`; resolves once the raw socket is open.
   */
  static async start(
    bed: Testbed,
    opts: { intervalSec: number; durationSec: number; target?: string; ns?: string },
  ): Promise<Pinger> {
    const proc = bed.spawn(
      opts.ns ?? bed.ns.client,
      pingArgv({
        target: opts.target ?? ADDR.host,
        count: 0,
        intervalSec: opts.intervalSec,
        deadlineSec: opts.durationSec,
      }),
      { stdio: 'pipe' },
    );
    const p = new Pinger(proc, opts.intervalSec);
    const start = performance.now();
    while (!p.out.includes('started')) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`pinger exited before starting: ${p.out.trim()}`);
      }
      if (performance.now() - start > 10_000) {
        p.kill();
        throw new Error(`pinger did not start within 10 s: ${p.out.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return p;
  }

  get output(): string {
    return this.out;
  }

  /** Replies that arrived after `t` (performance.now()). */
  repliesAfter(t: number): PingReply[] {
    return this.replies.filter((r) => r.at > t);
  }

  /** Waits for the first reply after `t`; undefined if none within `timeoutMs`. */
  async firstReplyAfter(t: number, timeoutMs: number): Promise<PingReply | undefined> {
    const start = performance.now();
    for (;;) {
      const r = this.replies.find((x) => x.at > t);
      if (r) return r;
      if (performance.now() - start > timeoutMs) return undefined;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return undefined;
      await new Promise((res) => setTimeout(res, 5));
    }
  }

  /**
   * The longest time without a reply between `from` and `to` (performance.now()), in ms: the
   * largest gap between consecutive replies, counting the edges of the window as well.
   */
  longestSilenceMs(from: number, to: number): number {
    return this.longestSilence(from, to).ms;
  }

  /** The longest silence in [from, to] and where it ends (the reply after it, or `to`). */
  longestSilence(from: number, to: number): { ms: number; start: number; end: number } {
    let last = from;
    let best = { ms: 0, start: from, end: from };
    for (const r of this.replies) {
      if (r.at <= from || r.at > to) continue;
      if (r.at - last > best.ms) best = { ms: r.at - last, start: last, end: r.at };
      last = r.at;
    }
    return to - last > best.ms ? { ms: to - last, start: last, end: to } : best;
  }

  /**
   * Waits for the pinger to end by its duration and returns its own count. The last pings before
   * the deadline may have had no time to come back: `ignoreTailSec` leaves those out of lostSeqs.
   */
  async finished(opts: { ignoreTailSec?: number } = {}): Promise<PingSummary> {
    await this.closed;
    const p = parsePing(this.out);
    if (!/packets transmitted/.test(this.out)) {
      throw new Error(`pinger ended without a summary: ${this.out.slice(-300)}`);
    }
    const got = new Set(this.replies.map((r) => r.seq));
    const lostSeqs: number[] = [];
    const last = p.transmitted - Math.ceil((opts.ignoreTailSec ?? 0) / this.intervalSec);
    for (let s = 1; s <= last; s++) if (!got.has(s & 0xffff)) lostSeqs.push(s);
    return { transmitted: p.transmitted, received: p.received, lostSeqs };
  }

  /** Stops it now (no summary). */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.kill();
    await this.closed;
  }
}
