/**
 * UDP encapsulation of ESP (RFC 3948) on port 4500, where IKE, ESP and NAT keepalives share one
 * socket and are told apart by their first bytes:
 *
 *   0xFF (exactly one byte)            NAT-keepalive (§2.3): dropped
 *   00 00 00 00 ‖ IKE message          Non-ESP Marker (§2.2): IKE, marker stripped
 *   SPI (≠ 0) ‖ Seq ‖ …                ESP (§2.1), the packet as is
 *
 * Port 500 carries IKE without the marker and never goes through here.
 */

export const NON_ESP_MARKER_LENGTH = 4;
export const NAT_KEEPALIVE_BYTE = 0xff;
/** SPI ‖ Sequence Number: the least an ESP packet must have to be looked up. */
export const ESP_HEADER_LENGTH = 8;

export type Udp4500Malformed = 'empty' | 'bare-marker' | 'short-esp' | 'bad-keepalive';

export type Udp4500Datagram =
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'ike'; readonly message: Uint8Array }
  | { readonly kind: 'esp'; readonly spi: number; readonly packet: Uint8Array }
  | { readonly kind: 'malformed'; readonly reason: Udp4500Malformed };

const KEEPALIVE: Udp4500Datagram = { kind: 'keepalive' };
const EMPTY: Udp4500Datagram = { kind: 'malformed', reason: 'empty' };
const BARE_MARKER: Udp4500Datagram = { kind: 'malformed', reason: 'bare-marker' };
const SHORT_ESP: Udp4500Datagram = { kind: 'malformed', reason: 'short-esp' };
const BAD_KEEPALIVE: Udp4500Datagram = { kind: 'malformed', reason: 'bad-keepalive' };

/** Classifies a UDP payload received on port 4500. The returned bytes are views, not copies. */
export function demuxUdp4500(payload: Uint8Array): Udp4500Datagram {
  const n = payload.length;
  if (n === 0) return EMPTY;
  if (n === 1) return payload[0] === NAT_KEEPALIVE_BYTE ? KEEPALIVE : BAD_KEEPALIVE;
  if (n >= NON_ESP_MARKER_LENGTH) {
    const first =
      ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
    if (first === 0) {
      if (n === NON_ESP_MARKER_LENGTH) return BARE_MARKER;
      return { kind: 'ike', message: payload.subarray(NON_ESP_MARKER_LENGTH) };
    }
    if (n >= ESP_HEADER_LENGTH) return { kind: 'esp', spi: first, packet: payload };
  }
  return SHORT_ESP;
}

/** Non-ESP Marker ‖ IKE message, ready for port 4500. */
export function addNonEspMarker(ikeMessage: Uint8Array): Uint8Array {
  const out = new Uint8Array(NON_ESP_MARKER_LENGTH + ikeMessage.length);
  out.set(ikeMessage, NON_ESP_MARKER_LENGTH);
  return out;
}

/** A NAT-keepalive datagram (RFC 3948 §2.3): one 0xFF byte. A fresh array each time. */
export function natKeepalive(): Uint8Array {
  return Uint8Array.of(NAT_KEEPALIVE_BYTE);
}
