/**
 * ICMP echo for the bed. The machine has no ping(8) (iputils-ping is not provisioned), so this is
 * a small python3 program on a raw socket (we run as root), run inside a namespace. It prints one
 * line `started` once its socket is open, one line per reply (`reply seq=N time=MS`) and a summary `T packets transmitted, R received`, and
 * exits 0 if any reply came back.
 */
import { existsSync } from 'node:fs';

export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const PING_PY = String.raw`
import os, socket, struct, sys, time, select
dst, count, interval, deadline, first = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == '1'
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
payload = b'tsunagi-interop-ping' + b'\0' * 36
sent = {}; received = 0; seq = 0
start = time.monotonic(); next_send = start
def out(s):
    sys.stdout.write(s + '\n'); sys.stdout.flush()
out('started')
while True:
    now = time.monotonic()
    if now - start >= deadline: break
    if (count == 0 or seq < count) and now >= next_send:
        seq += 1
        hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq & 0xffff)
        pkt = struct.pack('!BBHHH', 8, 0, csum(hdr + payload), ident, seq & 0xffff) + payload
        try:
            sock.sendto(pkt, (dst, 0))
        except OSError as e:
            out('send error seq=%d: %s' % (seq, e))
        sent[seq & 0xffff] = now; next_send = now + interval
    if count != 0 and seq >= count and received >= count: break
    wait = max(0.0, min(next_send if (count == 0 or seq < count) else start + deadline, start + deadline) - time.monotonic())
    r, _, _ = select.select([sock], [], [], wait)
    if not r: continue
    data, addr = sock.recvfrom(65535)
    ihl = (data[0] & 0x0f) * 4
    if addr[0] != dst or len(data) < ihl + 8: continue
    t, c, _, rid, rseq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
    if t != 0 or rid != ident or rseq not in sent: continue
    received += 1
    out('reply seq=%d time=%.3f ms' % (rseq, (time.monotonic() - sent.pop(rseq)) * 1000))
    if first: break
out('%d packets transmitted, %d received' % (seq, received))
sys.exit(0 if received > 0 else 1)
`;

export interface PingArgs {
  target: string;
  /** 0 = until the deadline. */
  count: number;
  intervalSec: number;
  deadlineSec: number;
  /** Stop at the first reply. */
  untilFirstReply?: boolean;
}

/** argv for running the pinger (prefix it with `ip netns exec NS`). */
export function pingArgv(a: PingArgs): string[] {
  return [
    PYTHON,
    '-c',
    PING_PY,
    a.target,
    String(a.count),
    String(a.intervalSec),
    String(a.deadlineSec),
    a.untilFirstReply ? '1' : '0',
  ];
}

export function parsePing(stdout: string): {
  transmitted: number;
  received: number;
  rttMs: number[];
} {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  return {
    transmitted: m ? Number(m[1]) : 0,
    received: m ? Number(m[2]) : 0,
    rttMs: [...stdout.matchAll(/reply seq=\d+ time=([\d.]+) ms/g)].map((x) => Number(x[1])),
  };
}
