/**
 * MTU and TCP MSS against a real strongSwan, with the client's uplink at 1280 bytes (both ends of
 * the veth): the tunnel MTU follows the path (1280 − IPv4 20 − UDP 8 − ESP 8 − IV 8 − ICV 16,
 * aligned: 1218), 10 MB cross each way intact without a single fragmented outer datagram, and
 * TCP SYN/SYN-ACK crossing the tunnel get their MSS clamped (1218 − 40 = 1178) with a correct
 * checksum, as tcpdump sees them on the protected host and on the client's TUN device.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi, writePskProfile, type TsunagiClient } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('/usr/bin/tcpdump') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

const UNDERLAY_MTU = 1280;
const TUNNEL_MTU = 1218; // aes256gcm16 over IPv4/UDP on a 1280-byte path
const MSS = TUNNEL_MTU - 40;

/** Moves `bytes` pseudo-random bytes over TCP (port 5999) and hashes both ends. */
const RECEIVER = `
import socket, hashlib, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5999)); s.listen(1); print('listening', flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest(), flush=True)
`;
const SENDER = `
import socket, hashlib, random, sys
n = int(sys.argv[2]); r = random.Random(11); h = hashlib.sha256(); sent = 0
s = socket.create_connection((sys.argv[1], 5999), timeout=60)
while sent < n:
    chunk = r.randbytes(min(65536, n - sent)); s.sendall(chunk); h.update(chunk); sent += len(chunk)
s.shutdown(socket.SHUT_WR); s.recv(1); s.close(); print(sent, h.hexdigest())
`;

/** A hand-made SYN with MSS `argv[3]` from `argv[1]` to `argv[2]`:5998 (the kernel adds IP). */
const RAW_SYN = `
import socket, struct, sys
src, dst, mss = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
opts = struct.pack('!BBH', 2, 4, mss) + b'\\x01\\x03\\x03\\x07'  # MSS, NOP, window scale 7
tcp = struct.pack('!HHIIBBHHH', 40001, 5998, 12345, 0, (20 + len(opts)) // 4 << 4, 0x02, 64240, 0, 0) + opts
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(tcp, (dst, 0)); print('sent', flush=True)
`;

describe.skipIf(!canRun)(
  'tsunagi connect: tunnel MTU and TCP MSS clamping (1280-byte uplink)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;
    let client: TsunagiClient;
    let tun: string;
    let virtualIp: string;

    /** tcpdump in `ns` on `iface` until stop(); returns the lines it printed. */
    const tcpdump = async (ns: string, iface: string, filter: string, verbose = false) => {
      const proc = bed.spawn(
        ns,
        ['tcpdump', '-n', '-l', ...(verbose ? ['-vv'] : []), '-i', iface, filter],
        { stdio: 'pipe' },
      );
      let out = '';
      let err = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      for (let i = 0; !err.includes('listening on'); i++) {
        if (i > 200 || proc.exitCode !== null) throw new Error(`tcpdump did not start: ${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return {
        stop: async () => {
          await new Promise((r) => setTimeout(r, 300));
          if (proc.exitCode === null) {
            const exited = new Promise((r) => proc.on('exit', r));
            proc.kill('SIGINT');
            await exited;
          }
          return out;
        },
      };
    };

    const transfer = async (from: string, to: string, toAddress: string, bytes: number) => {
      const receiver = bed.spawn(to, ['python3', '-c', RECEIVER, toAddress], { stdio: 'pipe' });
      let out = '';
      receiver.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const done = new Promise<void>((r) => receiver.on('exit', () => r()));
      for (let i = 0; !out.includes('listening'); i++) {
        if (i > 100) throw new Error('the receiver did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const sent = await bed.exec(from, ['python3', '-c', SENDER, toAddress, String(bytes)], {
        timeoutMs: 120_000,
      });
      await done;
      return { sent: sent.stdout.trim(), received: out.split('\n').filter(Boolean).at(-1)!.trim() };
    };

    beforeAll(async () => {
      bed = await createTestbed();
      gateway = await startGateway(bed, { pki: await createPki(bed.tempDir('pki')) });
      await bed.exec(bed.ns.client, [
        'ip',
        'link',
        'set',
        bed.ifaces.client.uplink0,
        'mtu',
        String(UNDERLAY_MTU),
      ]);
      await bed.exec(bed.ns.router, [
        'ip',
        'link',
        'set',
        bed.ifaces.router.client0,
        'mtu',
        String(UNDERLAY_MTU),
      ]);
      client = spawnTsunagi(bed, writePskProfile(bed, 'MSS', { esp: 'aes256gcm16' }));
      const up = await client.state(['connected', 'error'], 30_000);
      expect(up, JSON.stringify(client.lines)).toMatchObject({ state: 'connected' });
      tun = String(up.tun);
      virtualIp = String(up.virtualIp);
    }, 120_000);

    afterAll(async () => {
      if (client) expect(await client.stop()).toBe(0);
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    it('the tunnel MTU is the 1280-byte path minus the ESP-in-UDP overhead', async () => {
      const up = client.lines.find((l) => l.type === 'state' && l.state === 'connected')!;
      expect(up.mtu).toBe(TUNNEL_MTU);
      const link = (await bed.exec(bed.ns.client, ['ip', '-o', 'link', 'show', tun])).stdout;
      expect(link).toContain(`mtu ${TUNNEL_MTU} `);
    });

    it('10 MB each way arrive intact and no outer datagram is fragmented', async () => {
      const frags = await tcpdump(
        bed.ns.client,
        bed.ifaces.client.uplink0,
        'ip[6:2] & 0x3fff != 0',
      );
      const esp = await tcpdump(bed.ns.client, bed.ifaces.client.uplink0, 'udp port 4500');
      const up = await transfer(bed.ns.client, bed.ns.host, ADDR.host, 10 * 1024 * 1024);
      const down = await transfer(bed.ns.host, bed.ns.client, virtualIp, 10 * 1024 * 1024);
      const fragLines = (await frags.stop()).split('\n').filter(Boolean);
      const espLines = (await esp.stop()).split('\n').filter(Boolean);
      const lengths = espLines.map((l) => Number(/length (\d+)$/.exec(l)?.[1] ?? 0));
      console.log(
        `MTU: ${espLines.length} ESP datagrams, largest UDP payload ${Math.max(...lengths)} B ` +
          `(+ 28 = ${Math.max(...lengths) + 28} ≤ ${UNDERLAY_MTU}), ${fragLines.length} fragments`,
      );
      expect(up.received).toBe(up.sent);
      expect(down.received).toBe(down.sent);
      expect(up.sent).toMatch(/^10485760 [0-9a-f]{64}$/);
      expect(espLines.length).toBeGreaterThan(2 * 8_000);
      expect(Math.max(...lengths) + 28).toBeLessThanOrEqual(UNDERLAY_MTU);
      expect(fragLines).toEqual([]);
    });

    it('a SYN-ACK coming in (MSS 1460 at the host) reaches the client with MSS 1178', async () => {
      const listener = bed.spawn(
        bed.ns.host,
        [
          'python3',
          '-c',
          `import socket,time\ns=socket.socket();s.bind(('${ADDR.host}',5997));s.listen();print('ok',flush=True);time.sleep(20)`,
        ],
        { stdio: 'pipe' },
      );
      const atHost = await tcpdump(bed.ns.host, bed.ifaces.host.inner, 'tcp port 5997', true);
      const atTun = await tcpdump(bed.ns.client, tun, 'tcp port 5997', true);
      await new Promise((r) => setTimeout(r, 300));
      await bed.exec(bed.ns.client, [
        'python3',
        '-c',
        `import socket\nsocket.create_connection(('${ADDR.host}',5997),timeout=10).close()`,
      ]);
      const host = await atHost.stop();
      const inTun = await atTun.stop();
      listener.kill();
      const mss = (text: string | undefined) => Number(/mss (\d+)/.exec(text ?? '')?.[1]);
      const hostSynAck = host.slice(host.indexOf('Flags [S.]'));
      const tunSynAck = inTun.slice(inTun.indexOf('Flags [S.]'));
      expect(host).toContain('Flags [S.]');
      expect(mss(hostSynAck)).toBe(1460);
      expect(mss(tunSynAck)).toBe(MSS);
      // tcpdump -vv verifies the TCP checksum of what our data plane wrote into the TUN
      expect(tunSynAck.split('\n').slice(0, 2).join(' ')).toMatch(/cksum 0x[0-9a-f]+ \(correct\)/);
      // and the client's own SYN already carried the tunnel's MSS
      expect(mss(host.slice(host.indexOf('Flags [S]')))).toBe(MSS);
    });

    it('a SYN going out with MSS 1460 (e.g. forwarded for a container) reaches the host with MSS 1178', async () => {
      const atHost = await tcpdump(bed.ns.host, bed.ifaces.host.inner, 'tcp dst port 5998', true);
      await bed.exec(bed.ns.client, ['python3', '-c', RAW_SYN, virtualIp, ADDR.host, '1460']);
      const host = await atHost.stop();
      const syn = host.slice(host.indexOf('Flags [S]'));
      expect(Number(/mss (\d+)/.exec(syn)?.[1])).toBe(MSS);
      expect(syn.split('\n').slice(0, 2).join(' ')).toMatch(/cksum 0x[0-9a-f]+ \(correct\)/);
      expect(syn).toContain('wscale 7');
    });
  },
);
