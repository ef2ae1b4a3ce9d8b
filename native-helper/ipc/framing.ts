/**
 * Length-prefixed frames: a 4-byte big-endian payload length, then that many bytes of UTF-8
 * JSON. The decoder never throws: it reports each complete frame's parsed value, or a framing
 * error after which the stream cannot be trusted (oversized length) or a per-frame error
 * (bad UTF-8 / JSON) after which decoding continues with the next frame.
 */
import { MAX_FRAME_BYTES } from './protocol.js';

export type Decoded =
  | { kind: 'frame'; value: unknown }
  | { kind: 'malformed'; message: string }
  | { kind: 'too-large'; length: number };

export function encodeFrame(value: unknown, maxBytes = MAX_FRAME_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > maxBytes)
    throw new RangeError(`frame of ${body.length} bytes exceeds ${maxBytes}`);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private broken = false;

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns what they completed. After `too-large` nothing more is decoded. */
  push(data: Buffer): Decoded[] {
    if (this.broken) return [];
    this.chunks.push(data);
    this.buffered += data.length;
    const out: Decoded[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxBytes) {
        this.broken = true;
        this.chunks = [];
        this.buffered = 0;
        out.push({ kind: 'too-large', length });
        break;
      }
      if (this.buffered < 4 + length) break;
      const frame = this.take(4 + length).subarray(4);
      let text: string;
      try {
        text = utf8.decode(frame);
      } catch {
        out.push({ kind: 'malformed', message: 'the frame is not valid UTF-8' });
        continue;
      }
      try {
        out.push({ kind: 'frame', value: JSON.parse(text) as unknown });
      } catch (e) {
        out.push({ kind: 'malformed', message: `the frame is not JSON: ${(e as Error).message}` });
      }
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}
