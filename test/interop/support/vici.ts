/**
 * A minimal client for strongSwan's VICI protocol (the binary protocol swanctl speaks over
 * charon.vici), so tests read SAs as structured data instead of parsing swanctl's text.
 *
 * Packet: u32 length | u8 type | (u8 name length | name, for named types) | message.
 * Message elements: SECTION_START(1) name, SECTION_END(2), KEY_VALUE(3) name + u16 value,
 * LIST_START(4) name, LIST_ITEM(5) u16 value, LIST_END(6).
 */
import { connect } from 'node:net';

export type ViciValue = string | string[] | ViciMessage;
export interface ViciMessage {
  [key: string]: ViciValue;
}

const CMD_REQUEST = 0;
const CMD_RESPONSE = 1;
const CMD_UNKNOWN = 2;
const EVENT_REGISTER = 3;
const EVENT_UNREGISTER = 4;
const EVENT_CONFIRM = 5;
const EVENT_UNKNOWN = 6;
const EVENT = 7;

function encodeMessage(msg: ViciMessage): Buffer {
  const parts: Buffer[] = [];
  const name = (n: string) => {
    const b = Buffer.from(n);
    return Buffer.concat([Buffer.from([b.length]), b]);
  };
  const value = (v: string) => {
    const b = Buffer.from(v);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const walk = (m: ViciMessage) => {
    for (const [k, v] of Object.entries(m)) {
      if (typeof v === 'string') parts.push(Buffer.from([3]), name(k), value(v));
      else if (Array.isArray(v)) {
        parts.push(Buffer.from([4]), name(k));
        for (const item of v) parts.push(Buffer.from([5]), value(item));
        parts.push(Buffer.from([6]));
      } else {
        parts.push(Buffer.from([1]), name(k));
        walk(v);
        parts.push(Buffer.from([2]));
      }
    }
  };
  walk(msg);
  return Buffer.concat(parts);
}

function decodeMessage(buf: Buffer): ViciMessage {
  const root: ViciMessage = {};
  const stack: ViciMessage[] = [root];
  let list: string[] | undefined;
  let off = 0;
  const readName = () => {
    const len = buf[off++]!;
    const s = buf.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  const readValue = () => {
    const len = buf.readUInt16BE(off);
    off += 2;
    const s = buf.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  while (off < buf.length) {
    const type = buf[off++];
    const top = stack[stack.length - 1]!;
    switch (type) {
      case 1: {
        const sec: ViciMessage = {};
        top[readName()] = sec;
        stack.push(sec);
        break;
      }
      case 2:
        stack.pop();
        break;
      case 3: {
        const k = readName();
        top[k] = readValue();
        break;
      }
      case 4:
        list = [];
        top[readName()] = list;
        break;
      case 5:
        list?.push(readValue());
        break;
      case 6:
        list = undefined;
        break;
      default:
        throw new Error(`vici: bad element type ${type}`);
    }
  }
  return root;
}

function packet(type: number, name: string | undefined, msg?: ViciMessage): Buffer {
  const body: Buffer[] = [Buffer.from([type])];
  if (name !== undefined) {
    const n = Buffer.from(name);
    body.push(Buffer.from([n.length]), n);
  }
  if (msg) body.push(encodeMessage(msg));
  const payload = Buffer.concat(body);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(payload.length);
  return Buffer.concat([len, payload]);
}

/**
 * One VICI command: optionally registers for `streamEvent` first and collects those events
 * until the command's response arrives (that is how list-sas, list-conns and the control-log of
 * initiate are delivered).
 */
export function viciRequest(
  socketPath: string,
  command: string,
  msg: ViciMessage = {},
  opts: { streamEvent?: string; timeoutMs?: number } = {},
): Promise<{ response: ViciMessage; events: ViciMessage[] }> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const events: ViciMessage[] = [];
    let buf = Buffer.alloc(0);
    let phase: 'register' | 'command' | 'unregister' = opts.streamEvent ? 'register' : 'command';
    let response: ViciMessage | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`vici ${command}: timed out`));
    }, opts.timeoutMs ?? 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const done = () => {
      clearTimeout(timer);
      sock.end();
      resolve({ response: response ?? {}, events });
    };
    sock.on('error', fail);
    sock.on('connect', () => {
      if (opts.streamEvent) sock.write(packet(EVENT_REGISTER, opts.streamEvent));
      else sock.write(packet(CMD_REQUEST, command, msg));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (buf.length < 4 + len) break;
        const p = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        const type = p[0];
        try {
          switch (type) {
            case EVENT_CONFIRM:
              if (phase === 'register') {
                phase = 'command';
                sock.write(packet(CMD_REQUEST, command, msg));
              } else if (phase === 'unregister') done();
              break;
            case EVENT_UNKNOWN:
              fail(new Error(`vici: unknown event ${opts.streamEvent}`));
              return;
            case EVENT: {
              const nlen = p[1]!;
              events.push(decodeMessage(p.subarray(2 + nlen)));
              break;
            }
            case CMD_RESPONSE:
              response = decodeMessage(p.subarray(1));
              if (opts.streamEvent) {
                phase = 'unregister';
                sock.write(packet(EVENT_UNREGISTER, opts.streamEvent));
              } else done();
              break;
            case CMD_UNKNOWN:
              fail(new Error(`vici: unknown command ${command}`));
              return;
            default:
              fail(new Error(`vici: unexpected packet type ${type}`));
              return;
          }
        } catch (err) {
          fail(err as Error);
          return;
        }
      }
    });
  });
}

export function str(v: ViciValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function section(v: ViciValue | undefined): ViciMessage {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

export function list(v: ViciValue | undefined): string[] {
  return Array.isArray(v) ? v : [];
}
