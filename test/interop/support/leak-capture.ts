/**
 * Leak measurement for the kill-switch suites: a traffic generator that keeps probing many
 * destinations (IPv4 and IPv6: UDP 53/80/9999, a TCP SYN to 443, an ICMP or ICMPv6 echo) until
 * stopped, noting when each round started, and a capture of what actually leaves the client's
 * outer interfaces (`tcpdump -Q out`, which taps after netfilter; epoch timestamps), classified
 * into allowed (IKE/ESP-in-UDP to the gateway, IPv6 neighbour discovery) and leaks (everything
 * else). The times let a test count probes and leaks inside one tunnel state's window (the
 * states' `since`, from the helper's clock on the same machine).
 */
import type { ChildProcess } from 'node:child_process';
import type { Testbed } from './testbed.js';

/** Probes every destination each `interval` seconds until killed; prints rounds on exit. */
const GENERATOR = `
import socket, sys, struct, time, signal
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
interval = float(sys.argv[1]); dests = sys.argv[2:]
rounds = 0
def done(*_):
    print('rounds', rounds, flush=True); sys.exit(0)
signal.signal(signal.SIGTERM, done); signal.signal(signal.SIGINT, done)
print('started', flush=True)
while True:
    print('round', int(time.time() * 1000), flush=True)
    for d in dests:
        fam = socket.AF_INET6 if ':' in d else socket.AF_INET
        for port in (53, 80, 9999):
            try:
                u = socket.socket(fam, socket.SOCK_DGRAM); u.sendto(b'leak-probe', (d, port)); u.close()
            except OSError: pass
        try:
            t = socket.socket(fam, socket.SOCK_STREAM); t.setblocking(False); t.connect_ex((d, 443)); t.close()
        except OSError: pass
        try:
            if fam == socket.AF_INET:
                r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                h = struct.pack('!BBHHH', 8, 0, 0, 77, 1); p = b'probe!'
                r.sendto(struct.pack('!BBHHH', 8, 0, csum(h + p), 77, 1) + p, (d, 0)); r.close()
            else:
                # echo request; the kernel fills in the ICMPv6 checksum
                r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
                r.sendto(struct.pack('!BBHHH', 128, 0, 0, 77, 1) + b'probe!', (d, 0)); r.close()
        except OSError: pass
    rounds += 1
    time.sleep(interval)
`;

export interface TrafficGenerator {
  /** Stops the generator; resolves with the number of probe rounds it completed. */
  stop(): Promise<number>;
  /** Epoch ms at which each round so far started. */
  roundTimes(): number[];
}

export async function startTraffic(
  bed: Testbed,
  ns: string,
  destinations: readonly string[],
  intervalSec = 0.1,
): Promise<TrafficGenerator> {
  const proc = bed.spawn(ns, ['python3', '-c', GENERATOR, String(intervalSec), ...destinations], {
    stdio: 'pipe',
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitOutput(proc, () => out, 'started', 'traffic generator');
  return {
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.on('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      return Number(/rounds (\d+)/.exec(out)?.[1] ?? 0);
    },
    roundTimes: () => [...out.matchAll(/^round (\d+)$/gm)].map((m) => Number(m[1])),
  };
}

export interface CaptureResult {
  /** IKE/ESP-in-UDP from our outer addresses to the gateway. */
  allowed: number;
  /** IPv6 neighbour/router discovery (allowed by every policy). */
  discovery: number;
  /** Everything else: lines as tcpdump printed them (interface, epoch seconds, packet). */
  leaks: string[];
  /** Epoch ms of each leak, in the order of `leaks`. */
  leakTimes: number[];
}

/** How many of the capture's leaks happened in [from, to) (epoch ms). */
export function leaksBetween(r: CaptureResult, from: number, to: number): string[] {
  return r.leaks.filter((_, i) => r.leakTimes[i]! >= from && r.leakTimes[i]! < to);
}

export interface Capture {
  stop(): Promise<CaptureResult>;
}

/** Captures IPv4 and IPv6 leaving `ifaces` (one tcpdump each) until stopped. */
export async function captureOutbound(
  bed: Testbed,
  ns: string,
  ifaces: readonly string[],
  gateway: string,
): Promise<Capture> {
  const procs = ifaces.map((iface) => {
    const proc = bed.spawn(
      ns,
      ['tcpdump', '-n', '-tt', '-l', '-Q', 'out', '-i', iface, 'ip or ip6'],
      {
        stdio: 'pipe',
      },
    );
    const state = { out: '', err: '' };
    proc.stdout!.on('data', (d: Buffer) => (state.out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (state.err += d.toString()));
    return { proc, state, iface };
  });
  for (const p of procs) await waitOutput(p.proc, () => p.state.err, 'listening on', 'tcpdump');
  const gw = gateway.replace(/\./g, '\\.');
  const ike = new RegExp(`^\\S+ IP \\S+\\.\\d+ > ${gw}\\.(500|4500): `);
  const nd = /ICMP6, (neighbor|router) (solicitation|advertisement)/;
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 300));
      const lines: string[] = [];
      for (const p of procs) {
        // tcpdump may have ended by itself (libpcap stops when its interface goes down)
        if (p.proc.exitCode === null && p.proc.signalCode === null) {
          const exited = new Promise((r) => p.proc.on('exit', r));
          p.proc.kill('SIGINT');
          await exited;
        }
        lines.push(
          ...p.state.out
            .split('\n')
            .filter(Boolean)
            .map((l) => `${p.iface} ${l}`),
        );
      }
      let allowed = 0;
      let discovery = 0;
      const leaks: string[] = [];
      const leakTimes: number[] = [];
      for (const l of lines) {
        const text = l.slice(l.indexOf(' ') + 1);
        if (ike.test(text)) allowed++;
        else if (nd.test(text)) discovery++;
        else {
          leaks.push(l);
          leakTimes.push(Math.round(Number(text.slice(0, text.indexOf(' '))) * 1000));
        }
      }
      return { allowed, discovery, leaks, leakTimes };
    },
  };
}

async function waitOutput(
  proc: ChildProcess,
  text: () => string,
  marker: string,
  what: string,
): Promise<void> {
  for (let i = 0; !text().includes(marker); i++) {
    if (i > 400 || proc.exitCode !== null) throw new Error(`${what} did not start: ${text()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
