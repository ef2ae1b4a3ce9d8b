/**
 * The real strongSwan 5.9.8 session in test/fixtures/captures (see its README): a classic pcap
 * reader for its Ethernet/IPv4/UDP frames and a parser for the keys charon logged at level 4.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CapturedDatagram {
  index: number; // 1-based, as tshark numbers frames
  time: number; // seconds since the first frame
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** UDP payload (on port 4500 still with the non-ESP marker, exactly as on the wire). */
  payload: Uint8Array;
}

const dir = new URL('../fixtures/captures/', import.meta.url);

export function readCapture(name = 'psk-handshake.pcap'): CapturedDatagram[] {
  const buf = readFileSync(fileURLToPath(new URL(name, dir)));
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4) throw new Error('expected a little-endian microsecond pcap');
  const linkType = buf.readUInt32LE(20);
  if (linkType !== 1) throw new Error(`expected Ethernet link type, got ${linkType}`);
  const out: CapturedDatagram[] = [];
  let off = 24;
  let t0: number | undefined;
  while (off + 16 <= buf.length) {
    const sec = buf.readUInt32LE(off);
    const usec = buf.readUInt32LE(off + 4);
    const inclLen = buf.readUInt32LE(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + inclLen);
    off += 16 + inclLen;
    const time = sec + usec / 1e6;
    t0 ??= time;
    const etherType = frame.readUInt16BE(12);
    if (etherType !== 0x0800) continue;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    const totalLen = ip.readUInt16BE(2);
    if (ip[9] !== 17) continue;
    const udp = ip.subarray(ihl, totalLen);
    const udpLen = udp.readUInt16BE(4);
    out.push({
      index: out.length + 1,
      time: time - t0,
      srcIp: `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`,
      dstIp: `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`,
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      payload: new Uint8Array(udp.subarray(8, udpLen)),
    });
  }
  return out;
}

/**
 * Every hex dump charon logged as `name => N bytes @ addr` followed by `  0: AA BB …` lines, in
 * log order. The same name may appear more than once (e.g. natd_hash); callers pick by index.
 */
export function readKeyLog(name = 'psk-handshake-keys.log'): { name: string; bytes: Uint8Array }[] {
  const text = readFileSync(fileURLToPath(new URL(name, dir)), 'utf8');
  const lines = text.split('\n');
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /\[\w+\] (.+?) => (\d+) bytes @/.exec(lines[i]!);
    if (!head) continue;
    const len = Number(head[2]);
    const bytes: number[] = [];
    for (let j = i + 1; j < lines.length && bytes.length < len; j++) {
      const row = /\[\w+\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})/.exec(lines[j]! + ' ');
      if (!row) break;
      for (const h of row[1]!.trim().split(' ')) bytes.push(parseInt(h, 16));
    }
    if (bytes.length !== len) throw new Error(`truncated dump for ${head[1]} at line ${i + 1}`);
    out.push({ name: head[1]!, bytes: Uint8Array.from(bytes) });
  }
  return out;
}

/** The n-th (0-based) dump with this name. */
export function keyLogEntry(name: string, n = 0): Uint8Array {
  const all = readKeyLog().filter((e) => e.name === name);
  const e = all[n];
  if (!e) throw new Error(`no dump #${n} named ${name} in the key log (found ${all.length})`);
  return e.bytes;
}
