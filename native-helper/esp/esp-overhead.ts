/**
 * How large an inner packet may be so that its ESP-in-UDP datagram still fits the path MTU, and
 * the TCP MSS that follows from it.
 *
 *   outer IP (20 / 40) | UDP (8) | SPI (4) Seq (4) | IV | payload | pad | PadLen (1) NH (1) | ICV
 *
 * payload ‖ pad ‖ PadLen ‖ NH is a multiple of the transform's block size (4 for AEAD, 16 for
 * CBC), so the largest inner packet is ⌊(MTU − fixed overhead) / block⌋ × block − 2.
 */
import type { EspEncrTransform, EspIntegTransform } from './esp-transforms.js';

export const IPV4_HEADER_BYTES = 20;
export const IPV6_HEADER_BYTES = 40;
export const UDP_HEADER_BYTES = 8;
const ESP_HEADER_BYTES = 8;
const ESP_TRAILER_BYTES = 2;
const TCP_HEADER_BYTES = 20;
/** The smallest MTU IPv6 allows on any link (RFC 8200 §5); IPv4's is 68 but 576 is practical. */
export const IPV6_MIN_MTU = 1280;

/**
 * The largest inner packet whose ESP-in-UDP datagram (outer IPv4 or IPv6) is at most `pathMtu`
 * bytes, for the given transform. 0 when nothing fits.
 */
export function espMaxInnerLength(
  pathMtu: number,
  outerFamily: 4 | 6,
  encr: EspEncrTransform,
  integ?: EspIntegTransform,
): number {
  const icv = encr.kind === 'aead' ? encr.icvLength : (integ?.icvLength ?? 0);
  const fixed =
    (outerFamily === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES) +
    UDP_HEADER_BYTES +
    ESP_HEADER_BYTES +
    encr.ivLength +
    icv;
  const room = pathMtu - fixed;
  if (room < encr.blockSize) return 0;
  return Math.floor(room / encr.blockSize) * encr.blockSize - ESP_TRAILER_BYTES;
}

/** The TCP MSS that keeps a segment (no IP or TCP options) within an inner packet of `mtu`. */
export function tcpMssFor(mtu: number, innerFamily: 4 | 6): number {
  return mtu - (innerFamily === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES) - TCP_HEADER_BYTES;
}
