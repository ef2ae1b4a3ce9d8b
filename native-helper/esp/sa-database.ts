/**
 * The ESP Security Association Database of one tunnel (RFC 4301 §4.4.2, reduced to what a VPN
 * client needs): inbound SAs by SPI, outbound SAs by the traffic selectors they protect, and the
 * overlap of old and new SAs around a Child SA rekey (RFC 7296 §2.8: the old inbound SA keeps
 * accepting packets the peer sent before it switched). Time is passed in (milliseconds, any epoch).
 */
import type {
  EspDropReason,
  EspOpenResult,
  EspSa,
  EspSaCounters,
  EspSealResult,
} from './esp-sa.js';
import { ESP_DROP_REASONS, emptyCounters } from './esp-sa.js';
import { ipDestination } from './ip-packet.js';

/** An inclusive address range (TS_IPV4_ADDR_RANGE / TS_IPV6_ADDR_RANGE, RFC 7296 §3.13.1). */
export interface AddressRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** The range covering `address/prefixLength`. */
export function prefixRange(address: Uint8Array, prefixLength: number): AddressRange {
  if (address.length !== 4 && address.length !== 16) {
    throw new RangeError('address must be 4 or 16 bytes');
  }
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > address.length * 8) {
    throw new RangeError(`bad prefix length ${prefixLength}`);
  }
  const start = new Uint8Array(address);
  const end = new Uint8Array(address);
  for (let i = 0; i < address.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    const hostMask = 0xff >> keep;
    start[i] = start[i]! & ~hostMask & 0xff;
    end[i] = end[i]! | hostMask;
  }
  return { start, end };
}

export type DatabaseDropReason = 'unknown-spi' | 'no-sa';

export type DatabaseOpenResult =
  EspOpenResult | { readonly kind: 'drop'; readonly reason: 'unknown-spi' };
export type DatabaseSealResult =
  | Exclude<EspSealResult, { readonly kind: 'sequence-exhausted' }>
  | { readonly kind: 'drop'; readonly reason: 'no-sa' }
  /** The selected SA has spent its sequence numbers; `spi` says which one to replace. */
  | { readonly kind: 'sequence-exhausted-sa'; readonly spi: number };

export interface EspDatabaseStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  dummyIn: number;
  drops: Record<EspDropReason | DatabaseDropReason, number>;
  inboundSas: number;
  outboundSas: number;
}

interface InboundEntry {
  readonly sa: EspSa;
  /** Set when the SA was replaced by a rekey: it is forgotten at this time. */
  expiresAt: number | undefined;
}

interface OutboundEntry {
  readonly sa: EspSa;
  readonly ranges: readonly AddressRange[];
  /** Number of addresses in each range minus one, to prefer the most specific match. */
  readonly widths: readonly bigint[];
  readonly order: number;
}

const UNKNOWN_SPI = Object.freeze({ kind: 'drop', reason: 'unknown-spi' } as const);
const NO_SA = Object.freeze({ kind: 'drop', reason: 'no-sa' } as const);
const NOT_IP = Object.freeze({ kind: 'not-ip' } as const);

export class SaDatabase {
  private readonly inbound = new Map<number, InboundEntry>();
  private outbound: OutboundEntry[] = [];
  private installed = 0;
  /** Counters of SAs already removed, so totals survive rekeys. */
  private readonly retired: EspSaCounters = emptyCounters();
  private readonly ownDrops: Record<DatabaseDropReason, number> = { 'unknown-spi': 0, 'no-sa': 0 };
  /** Scratch for sealBatch (reused). */
  private readonly selected: (EspSa | undefined)[] = [];
  private readonly runResults: EspSealResult[] = [];

  /** Installs an inbound SA under its SPI. */
  addInbound(sa: EspSa): void {
    if (this.inbound.has(sa.spi)) {
      throw new Error(`inbound SPI 0x${sa.spi.toString(16)} is already installed`);
    }
    this.inbound.set(sa.spi, { sa, expiresAt: undefined });
  }

  /** Removes an inbound SA now. */
  removeInbound(spi: number): boolean {
    const e = this.inbound.get(spi);
    if (!e) return false;
    this.inbound.delete(spi);
    addCounters(this.retired, e.sa.counters);
    return true;
  }

  /** Keeps an inbound SA that a rekey replaced until `expiresAt` (now + grace period). */
  retireInbound(spi: number, expiresAt: number): boolean {
    const e = this.inbound.get(spi);
    if (!e) return false;
    e.expiresAt = expiresAt;
    return true;
  }

  /** Installs an outbound SA for traffic to the given destination ranges (TSr). */
  addOutbound(sa: EspSa, ranges: readonly AddressRange[]): void {
    if (this.outbound.some((e) => e.sa.spi === sa.spi)) {
      throw new Error(`outbound SPI 0x${sa.spi.toString(16)} is already installed`);
    }
    for (const r of ranges) {
      if (
        (r.start.length !== 4 && r.start.length !== 16) ||
        r.start.length !== r.end.length ||
        compare(r.start, r.end) > 0
      ) {
        throw new RangeError('bad address range');
      }
    }
    this.outbound.push({
      sa,
      ranges,
      widths: ranges.map((r) => toBigInt(r.end) - toBigInt(r.start)),
      order: this.installed++,
    });
  }

  removeOutbound(spi: number): boolean {
    const i = this.outbound.findIndex((e) => e.sa.spi === spi);
    if (i < 0) return false;
    addCounters(this.retired, this.outbound[i]!.sa.counters);
    this.outbound = this.outbound.filter((_, j) => j !== i);
    return true;
  }

  /**
   * Swaps a rekeyed Child SA in: the new pair takes over at once for sending; the old outbound SA
   * goes; the old inbound SA keeps receiving until `now + graceMs`.
   */
  rekey(args: {
    oldInboundSpi: number;
    oldOutboundSpi: number;
    inbound: EspSa;
    outbound: EspSa;
    ranges: readonly AddressRange[];
    now: number;
    graceMs: number;
  }): void {
    this.addInbound(args.inbound);
    this.addOutbound(args.outbound, args.ranges);
    this.removeOutbound(args.oldOutboundSpi);
    this.retireInbound(args.oldInboundSpi, args.now + args.graceMs);
  }

  /** Removes the inbound SAs whose grace period is over; returns their SPIs. */
  expire(now: number): number[] {
    const gone: number[] = [];
    for (const [spi, e] of this.inbound) {
      if (e.expiresAt !== undefined && now >= e.expiresAt) gone.push(spi);
    }
    for (const spi of gone) this.removeInbound(spi);
    return gone;
  }

  /** The inbound SA for an SPI, unless unknown or past its grace period at `now`. */
  lookupInbound(spi: number, now: number): EspSa | undefined {
    const e = this.inbound.get(spi);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && now >= e.expiresAt) {
      this.removeInbound(spi);
      return undefined;
    }
    return e.sa;
  }

  /** The outbound SA whose most specific range holds `dst` (the latest installed on a tie). */
  selectOutbound(dst: Uint8Array): EspSa | undefined {
    let best: OutboundEntry | undefined;
    let bestWidth = 0n;
    for (const e of this.outbound) {
      const { ranges, widths } = e;
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i]!;
        if (r.start.length !== dst.length || compare(dst, r.start) < 0 || compare(dst, r.end) > 0) {
          continue;
        }
        const w = widths[i]!;
        if (best === undefined || w < bestWidth || (w === bestWidth && e.order > best.order)) {
          best = e;
          bestWidth = w;
        }
      }
    }
    return best?.sa;
  }

  /** Opens one ESP packet (the UDP payload, SPI first) with the SA its SPI names. */
  open(packet: Uint8Array, now: number): DatabaseOpenResult {
    const spi =
      packet.length >= 4
        ? ((packet[0]! << 24) | (packet[1]! << 16) | (packet[2]! << 8) | packet[3]!) >>> 0
        : 0;
    const sa = this.lookupInbound(spi, now);
    if (!sa) {
      this.ownDrops['unknown-spi']++;
      return UNKNOWN_SPI;
    }
    return sa.open(packet);
  }

  /** Seals one inner packet with the outbound SA selected by its destination address. */
  seal(inner: Uint8Array): DatabaseSealResult {
    const dst = ipDestination(inner);
    if (!dst) return { kind: 'not-ip' };
    const sa = this.selectOutbound(dst);
    if (!sa) {
      this.ownDrops['no-sa']++;
      return NO_SA;
    }
    const r = sa.seal(inner);
    return r.kind === 'sequence-exhausted' ? { kind: 'sequence-exhausted-sa', spi: sa.spi } : r;
  }

  /** Opens a batch of ESP packets received at `now`; `results` is reused (resized and filled). */
  openBatch(
    packets: readonly Uint8Array[],
    now: number,
    results: DatabaseOpenResult[] = [],
  ): DatabaseOpenResult[] {
    results.length = packets.length;
    for (let i = 0; i < packets.length; i++) results[i] = this.open(packets[i]!, now);
    return results;
  }

  /**
   * Seals a batch of inner packets; `results` is reused (resized and filled). Consecutive packets
   * for the same SA go to it as one batch (one native call when the SA has native crypto).
   */
  sealBatch(
    packets: readonly Uint8Array[],
    results: DatabaseSealResult[] = [],
  ): DatabaseSealResult[] {
    const n = packets.length;
    results.length = n;
    const sas = this.selected;
    sas.length = n;
    for (let i = 0; i < n; i++) {
      const dst = ipDestination(packets[i]!);
      const sa = dst ? this.selectOutbound(dst) : undefined;
      sas[i] = sa;
      if (!dst) results[i] = NOT_IP;
      else if (!sa) {
        this.ownDrops['no-sa']++;
        results[i] = NO_SA;
      }
    }
    for (let i = 0; i < n;) {
      const sa = sas[i];
      let j = i + 1;
      if (sa === undefined) {
        i = j;
        continue;
      }
      while (j < n && sas[j] === sa) j++;
      const run = i === 0 && j === n ? packets : packets.slice(i, j);
      const sealed = sa.sealBatch(run, this.runResults);
      for (let k = 0; k < sealed.length; k++) {
        const r = sealed[k]!;
        results[i + k] =
          r.kind === 'sequence-exhausted' ? { kind: 'sequence-exhausted-sa', spi: sa.spi } : r;
      }
      i = j;
    }
    sas.length = 0; // hold no SA beyond the call
    return results;
  }

  /** Outbound SAs past their soft sequence limit: their Child SAs should be rekeyed. */
  rekeyNeeded(): EspSa[] {
    return this.outbound.filter((e) => e.sa.rekeyNeeded).map((e) => e.sa);
  }

  /** Totals over every SA installed so far (removed ones included) plus the database's drops. */
  stats(): EspDatabaseStats {
    const sum = emptyCounters();
    addCounters(sum, this.retired);
    const seen = new Set<EspSa>();
    for (const e of this.inbound.values()) seen.add(e.sa);
    for (const e of this.outbound) seen.add(e.sa);
    for (const sa of seen) addCounters(sum, sa.counters);
    return {
      packetsIn: sum.packetsIn,
      bytesIn: sum.bytesIn,
      packetsOut: sum.packetsOut,
      bytesOut: sum.bytesOut,
      dummyIn: sum.dummyIn,
      drops: { ...sum.drops, ...this.ownDrops },
      inboundSas: this.inbound.size,
      outboundSas: this.outbound.length,
    };
  }
}

function addCounters(into: EspSaCounters, from: EspSaCounters): void {
  into.packetsIn += from.packetsIn;
  into.bytesIn += from.bytesIn;
  into.packetsOut += from.packetsOut;
  into.bytesOut += from.bytesOut;
  into.dummyIn += from.dummyIn;
  for (const r of ESP_DROP_REASONS) into.drops[r] += from.drops[r];
}

/** Lexicographic comparison of two equal-length addresses. */
function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function toBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}
