/**
 * The userspace ESP data plane: packets read from the TUN device are sealed with the outbound
 * SA their destination selects and sent as ESP-in-UDP to the gateway's port 4500; ESP received on
 * 4500 is opened (replay check → authenticate → commit) and written to the TUN device. Batches
 * from the TUN reader (≤ 64 packets) are sealed and sent in one pass.
 */
import { REKEYED_INBOUND_GRACE_MS } from '../constants.js';
import { EspSa } from '../esp/esp-sa.js';
import { espEncrTransform, espIntegTransform } from '../esp/esp-transforms.js';
import type { AddressRange } from '../esp/sa-database.js';
import { SaDatabase } from '../esp/sa-database.js';
import type { Random } from '../ike/crypto/random.js';
import type { ChildSaKeys, TrafficSelectorRange } from '../ike/ike-events.js';
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

export class EspDataPlane implements ChildSaSink {
  private readonly db = new SaDatabase();
  private readonly outSpis = new Set<number>();
  private readonly inSpis = new Set<number>();

  constructor(
    private readonly send: EspSender,
    private readonly writeInner: PacketWriter,
    private readonly random: Random,
    private readonly now: () => number = Date.now,
    private readonly replayWindow = 128,
  ) {}

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
    };
    const inbound = new EspSa({
      ...common,
      spi: keys.spiIn,
      encrKey: keys.encrKeyIn,
      ...(integ ? { integKey: keys.integKeyIn } : {}),
    });
    const outbound = new EspSa({
      ...common,
      spi: keys.spiOut,
      encrKey: keys.encrKeyOut,
      ...(integ ? { integKey: keys.integKeyOut } : {}),
    });
    this.db.addInbound(inbound);
    this.inSpis.add(keys.spiIn);
    // A newer outbound SA for the same selectors wins (the database prefers the latest install).
    this.db.addOutbound(outbound, keys.tsRemote.map(toAddressRange));
    this.outSpis.add(keys.spiOut);
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
    if (r.kind === 'packet') this.writeInner([r.packet]);
  }

  /** A batch of inner packets read from the TUN device. */
  outbound(packets: readonly Uint8Array[]): void {
    const out: Uint8Array[] = [];
    for (const p of packets) {
      const r = this.db.seal(p);
      if (r.kind === 'packet') out.push(r.packet);
    }
    if (out.length) this.send(out);
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
