/**
 * Bounds-checked byte reading and writing for the IKEv2 codec.
 *
 * Every read goes through `ByteReader`, which throws `IkeSyntaxError` (never a RangeError) when
 * the input is too short. Decoders throw only `IkeSyntaxError`; `decodeMessage` turns those into
 * typed results. Allocation is bounded by the input: a reader never allocates more than it holds.
 */

export type IkeSyntaxErrorCode =
  /** Fewer bytes than a field or a length needs. */
  | 'truncated'
  /** A length field is inconsistent with its container or its content. */
  | 'bad-length'
  /** An unknown payload with the critical bit set (RFC 7296 §2.5). */
  | 'unsupported-critical-payload'
  /** A field holds a value the specification forbids (or that we do not support). */
  | 'invalid-value'
  /** A payload that the exchange does not allow, too often, or outside SK (message-rules.ts). */
  | 'rule-violation'
  /** Major version other than 2 (RFC 7296 §2.5: drop; INVALID_MAJOR_VERSION). */
  | 'unsupported-version'
  /** The SK/SKF payload did not authenticate, or there were no keys to open it. */
  | 'authentication-failed';

export interface IkeSyntaxErrorWhere {
  /** The payload type concerned (the wire number; for UNSUPPORTED_CRITICAL_PAYLOAD its data). */
  payloadType?: number;
  /** The field concerned, e.g. 'nonce length' or 'proposal length'. */
  field?: string;
}

export class IkeSyntaxError extends Error {
  override readonly name = 'IkeSyntaxError';
  readonly code: IkeSyntaxErrorCode;
  readonly payloadType: number | undefined;
  readonly field: string | undefined;

  constructor(code: IkeSyntaxErrorCode, message: string, where: IkeSyntaxErrorWhere = {}) {
    super(message);
    this.code = code;
    this.payloadType = where.payloadType;
    this.field = where.field;
  }
}

/** Shorthand used by the verify sections of the payload codecs. */
export function invalid(message: string, where: IkeSyntaxErrorWhere = {}): IkeSyntaxError {
  return new IkeSyntaxError('invalid-value', message, where);
}

export class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** Named in truncation errors. */
    private readonly where: IkeSyntaxErrorWhere = {},
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n < 0 || n > this.buf.length - this.pos) {
      throw new IkeSyntaxError(
        'truncated',
        `${field}: need ${n} bytes, ${this.buf.length - this.pos} left`,
        { ...this.where, field },
      );
    }
  }

  u8(field = 'u8'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field = 'u16'): number {
    this.need(2, field);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(field = 'u32'): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** A copy of the next `n` bytes (payloads never alias the datagram). */
  bytes(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A view (no copy) of the next `n` bytes, for nested decoding. */
  view(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number, field = 'reserved'): void {
    this.need(n, field);
    this.pos += n;
  }

  /** A copy of everything left. */
  rest(): Uint8Array {
    const out = this.buf.slice(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /** Throws `bad-length` unless every byte was consumed. */
  end(field = 'trailing bytes'): void {
    if (this.pos !== this.buf.length) {
      throw new IkeSyntaxError(
        'bad-length',
        `${field}: ${this.buf.length - this.pos} unexpected bytes`,
        {
          ...this.where,
          field,
        },
      );
    }
  }
}

/** A growable big-endian writer; range-checks every value it writes. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private static check(v: number, max: number, field: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw invalid(`${field}: ${v} does not fit (0..${max})`, { field });
    }
  }

  u8(v: number, field = 'u8'): this {
    ByteWriter.check(v, 0xff, field);
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number, field = 'u16'): this {
    ByteWriter.check(v, 0xffff, field);
    this.ensure(2);
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number, field = 'u32'): this {
    ByteWriter.check(v, 0xffffffff, field);
    this.ensure(4);
    this.buf[this.len++] = v >>> 24;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }

  /** Overwrites a u16 already written at `at` (for lengths known only at the end). */
  patchU16(at: number, v: number, field = 'length'): this {
    ByteWriter.check(v, 0xffff, field);
    if (at < 0 || at + 2 > this.len) throw invalid(`${field}: patch outside the buffer`, { field });
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Lexicographic comparison of equal-length byte strings (addresses). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}
