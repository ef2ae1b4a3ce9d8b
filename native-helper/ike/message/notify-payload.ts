/**
 * Notify payload body (RFC 7296 §3.10).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The data stays raw: the tasks interpret it. Verify: SPI size 0, 4 or 8, and with an SPI a
 * protocol ID of IKE/AH/ESP (without one the protocol ID is ignored, §3.10); and the lengths the
 * RFCs fix for a few types: COOKIE 1..64 bytes (§2.6), NAT_DETECTION_* a 20-byte SHA-1 (§2.23),
 * INVALID_KE_PAYLOAD a 2-byte group (§3.10.1), SIGNATURE_HASH_ALGORITHMS 2-byte IDs (RFC 7427 §4).
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import { NotifyType } from './notify-types.js';
import { PayloadType, ProtocolId } from './payload-type.js';

export const COOKIE_MAX_LENGTH = 64;
export const NAT_DETECTION_HASH_LENGTH = 20;

export interface NotifyPayload {
  type: typeof PayloadType.NOTIFY;
  protocolId: number;
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}

const where = { payloadType: PayloadType.NOTIFY };

function dataLengthOk(notifyType: number, n: number): boolean {
  switch (notifyType) {
    case NotifyType.COOKIE:
      return n >= 1 && n <= COOKIE_MAX_LENGTH;
    case NotifyType.NAT_DETECTION_SOURCE_IP:
    case NotifyType.NAT_DETECTION_DESTINATION_IP:
      return n === NAT_DETECTION_HASH_LENGTH;
    case NotifyType.INVALID_KE_PAYLOAD:
      return n === 2;
    case NotifyType.SIGNATURE_HASH_ALGORITHMS:
      return n % 2 === 0;
    default:
      return true;
  }
}

function verify(p: NotifyPayload): void {
  const n = p.spi.length;
  if (n !== 0 && n !== 4 && n !== 8)
    throw invalid(`notify SPI size ${n}`, { ...where, field: 'SPI size' });
  if (
    n !== 0 &&
    p.protocolId !== ProtocolId.IKE &&
    p.protocolId !== ProtocolId.AH &&
    p.protocolId !== ProtocolId.ESP
  ) {
    throw invalid(`notify protocol ID ${p.protocolId} with an SPI`, {
      ...where,
      field: 'protocol ID',
    });
  }
  if (!dataLengthOk(p.notifyType, p.data.length)) {
    throw invalid(`notify ${p.notifyType} with ${p.data.length} bytes of data`, {
      ...where,
      field: 'notification data',
    });
  }
}

export function decodeNotifyPayload(body: Uint8Array): NotifyPayload {
  const r = new ByteReader(body, where);
  const protocolId = r.u8('protocol ID');
  const spiSize = r.u8('SPI size');
  const notifyType = r.u16('notify message type');
  const spi = r.bytes(spiSize, 'SPI');
  const p: NotifyPayload = {
    type: PayloadType.NOTIFY,
    protocolId,
    spi,
    notifyType,
    data: r.rest(),
  };
  verify(p);
  return p;
}

export function encodeNotifyPayload(p: NotifyPayload): Uint8Array {
  verify(p);
  return new ByteWriter(4 + p.spi.length + p.data.length)
    .u8(p.protocolId, 'protocol ID')
    .u8(p.spi.length)
    .u16(p.notifyType, 'notify message type')
    .bytes(p.spi)
    .bytes(p.data)
    .finish();
}
