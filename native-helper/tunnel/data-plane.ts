/**
 * The userspace ESP data plane: packets read from the TUN device are sealed with the outbound
 * SA their destination selects and sent as ESP-in-UDP to the gateway's port 4500; ESP received on
 * 4500 is opened (replay check → authenticate → commit) and written to the TUN device. Batches
 * from the TUN reader (≤ 64 packets) are sealed and sent in one pass.
 *
 * TCP SYNs and SYN-ACKs crossing in either direction get their MSS clamped to what fits the
 * tunnel (also for hosts forwarded through this machine, whose own MTU knows nothing of ESP).
 * An outbound SA past its soft sequence limit asks, once, for an early Child SA rekey.
 *
 * The SAs' crypto runs in the native backend (tsunagi_esp: one OpenSSL context per SA direction,
 * a TUN batch sealed in one call) when it loads and passes its self-test, else in node:crypto;
 * `TSUNAGI_ESP_NATIVE=0` forces node:crypto.
 */
import { REKEYED_INBOUND_GRACE_MS } from '../constants.js';
import { espMaxInnerLength } from '../esp/esp-overhead.js';
import { EspSa } from '../esp/esp-sa.js';
import {
  espEncrTransform,
  espIntegTransform,
  type EspEncrTransform,
  type EspIntegTransform,
} from '../esp/esp-transforms.js';
import { clampTcpMss, ipVersion } from '../esp/ip-packet.js';
import type { AddressRange } from '../esp/sa-database.js';
import { SaDatabase, type DatabaseSealResult } from '../esp/sa-database.js';
import type { EspNativeBackend } from '../esp/esp-native.js';
import { defaultEspNative } from '../platform/crypto/esp-native-linux.js';
import type { Random } from '../ike/crypto/random.js';
import type { ChildRekeyReason, ChildSaKeys, TrafficSelectorRange } from '../ike/ike-events.js';
import { ipToBytes } from '../ike/traffic-selectors.js';
import type { ChildSaSink } from './ike-runner.js';

/** Where sealed ESP goes (the UDP socket on 4500, to the gateway's 4500). */
export type EspSender = (datagrams: Uint8Array[]) => void;
/** Where opened inner packets go (the TUN device). */
export type PacketWriter = (packets: Uint8Array[]) => void;

export interface DataPlaneStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  drops: number;
}

export interface DataPlaneOptions {
  now?: () => number;
  replayWindow?: number;
  /**
   * Outbound sequence number after which the Child SA is rekeyed early (RFC 4303 §3.3.3: the
   * counter must never wrap). Default: the SA's own (2^32 − 1 − 2^28).
   */
  softSequenceLimit?: number;
  /** Called once per outbound SA that reached its soft limit, with the Child SA's inbound SPI. */
  rekeyNeeded?: (spiIn: number, reason: ChildRekeyReason) => void;
  /**
   * Native ESP crypto for the SAs; null keeps node:crypto. Default: the tsunagi_esp addon when it
   * loads and passes its self-test, unless TSUNAGI_ESP_NATIVE=0.
   */
  espNative?: EspNativeBackend | null;
}

/** The largest TCP MSS per inner IP family; 0 turns clamping off for that family. */
export interface MssLimits {
  v4: number;
  v6: number;
}

interface OutboundInfo {
  spiIn: number;
  encr: EspEncrTransform;
  integ: EspIntegTransform | undefined;
  rekeyAsked: boolean;
}

export class EspDataPlane implements ChildSaSink {
  private readonly db = new SaDatabase();
  /** Outbound SPI → the Child SA it belongs to (for rekey requests) and its transform. */
  private readonly outSpis = new Map<number, OutboundInfo>();
  private readonly inSpis = new Set<number>();
  private readonly now: () => number;
  private readonly replayWindow: number;
  private mss: MssLimits = { v4: 0, v6: 0 };
  private mssClamped = 0;
  private readonly native: EspNativeBackend | undefined;
  private readonly sealResults: DatabaseSealResult[] = [];

  constructor(
    private readonly send: EspSender,
    private readonly writeInner: PacketWriter,
    private readonly random: Random,
    private readonly options: DataPlaneOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.replayWindow = options.replayWindow ?? 128;
    this.native =
      options.espNative === null ? undefined : (options.espNative ?? defaultEspNative().backend);
  }

  /** Whether SAs installed from now on seal and open in the native backend (if it takes them). */
  get nativeCrypto(): boolean {
    return this.native !== undefined;
  }

  /** TCP SYN/SYN-ACKs whose MSS was lowered to fit the tunnel, both directions. */
  get clampedSyns(): number {
    return this.mssClamped;
  }

  /** Clamp TCP MSS options to these (set once the tunnel MTU is known). */
  setMss(limits: MssLimits): void {
    this.mss = limits;
  }

  /**
   * The largest inner packet that fits one ESP-in-UDP datagram of `pathMtu` bytes with the
   * outbound SAs installed now (the most demanding one counts); undefined before any SA.
   */
  maxInnerLength(pathMtu: number, outerFamily: 4 | 6): number | undefined {
    let max: number | undefined;
    for (const o of this.outSpis.values()) {
      const n = espMaxInnerLength(pathMtu, outerFamily, o.encr, o.integ);
      max = max === undefined ? n : Math.min(max, n);
    }
    return max;
  }

  install(keys: ChildSaKeys): void {
    const encr = espEncrTransform(keys.encr, keys.encrKeyBits);
    if (!encr)
      throw new Error(
        `ESP transform ${keys.encr}/${keys.encrKeyBits} is not supported by the data plane`,
      );
    const integ = keys.integ ? espIntegTransform(keys.integ) : undefined;
    if (keys.integ && !integ)
      throw new Error(`ESP integrity transform ${keys.integ} is not supported`);
    const common = {
      encr,
      random: this.random,
      replayWindowSize: this.replayWindow,
      ...(integ ? { integ } : {}),
      ...(this.native ? { native: this.native } : {}),
    };
    const inbound = new EspSa({
      ...common,
      spi: keys.spiIn,
      encrKey: keys.encrKeyIn,
      ...(integ ? { integKey: keys.integKeyIn } : {}),
    });
    const outbound = new EspSa({
      ...common,
      ...(this.options.softSequenceLimit !== undefined
        ? { softSequenceLimit: this.options.softSequenceLimit }
        : {}),
      spi: keys.spiOut,
      encrKey: keys.encrKeyOut,
      ...(integ ? { integKey: keys.integKeyOut } : {}),
    });
    this.db.addInbound(inbound);
    this.inSpis.add(keys.spiIn);
    // A newer outbound SA for the same selectors wins (the database prefers the latest install).
    this.db.addOutbound(outbound, keys.tsRemote.map(toAddressRange));
    this.outSpis.set(keys.spiOut, { spiIn: keys.spiIn, encr, integ, rekeyAsked: false });
  }

  remove(spiIn: number, spiOut: number): void {
    if (this.outSpis.delete(spiOut)) this.db.removeOutbound(spiOut);
    // Keep the old inbound SA briefly for packets still in flight (RFC 7296 §2.8).
    if (this.inSpis.delete(spiIn))
      this.db.retireInbound(spiIn, this.now() + REKEYED_INBOUND_GRACE_MS);
  }

  /** ESP-in-UDP from the gateway. */
  esp(packet: Uint8Array): void {
    const r = this.db.open(packet, this.now());
    if (r.kind !== 'packet') return;
    this.clamp(r.packet);
    this.writeInner([r.packet]);
  }

  /** A batch of inner packets read from the TUN device. */
  outbound(packets: readonly Uint8Array[]): void {
    const out: Uint8Array[] = [];
    let exhausted = false;
    for (const p of packets) this.clamp(p);
    for (const r of this.db.sealBatch(packets, this.sealResults)) {
      if (r.kind === 'packet') out.push(r.packet);
      else if (r.kind === 'sequence-exhausted-sa') exhausted = true;
    }
    if (out.length) this.send(out);
    if (out.length || exhausted) this.askForRekeys();
  }

  /** Lowers the MSS of a TCP SYN in place (a no-op for everything else). */
  private clamp(packet: Uint8Array): void {
    const v = ipVersion(packet);
    const limit = v === 4 ? this.mss.v4 : v === 6 ? this.mss.v6 : 0;
    if (limit > 0 && clampTcpMss(packet, limit) === 'clamped') this.mssClamped++;
  }

  private askForRekeys(): void {
    for (const sa of this.db.rekeyNeeded()) {
      const info = this.outSpis.get(sa.spi);
      if (!info || info.rekeyAsked) continue;
      info.rekeyAsked = true;
      this.options.rekeyNeeded?.(info.spiIn, 'seq-soft-limit');
    }
  }

  stats(): DataPlaneStats {
    const s = this.db.stats();
    const drops = Object.values(s.drops).reduce((a, b) => a + b, 0);
    return {
      packetsIn: s.packetsIn,
      bytesIn: s.bytesIn,
      packetsOut: s.packetsOut,
      bytesOut: s.bytesOut,
      drops,
    };
  }
}

function toAddressRange(r: TrafficSelectorRange): AddressRange {
  return { start: ipToBytes(r.startAddress)!, end: ipToBytes(r.endAddress)! };
}
