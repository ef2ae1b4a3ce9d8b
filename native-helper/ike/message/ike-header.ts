/**
 * IKE header (RFC 7296 §3.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: I (0x08, set by the original initiator), V (0x10), R (0x20, response).
 * Verify: major version 2 (else `unsupported-version`; the minor version is ignored and sent as
 * 0), Length = the datagram length (the caller strips the non-ESP marker first).
 */
import { ByteReader, ByteWriter, IkeSyntaxError } from './codec.js';
import { HeaderFlag } from './exchange-type.js';

export const IKE_HEADER_LENGTH = 28;
export const IKE_SPI_LENGTH = 8;
export const IKE_MAJOR_VERSION = 2;
/** Version byte we send: major 2, minor 0. */
export const IKE_VERSION_BYTE = 0x20;

export interface IkeHeader {
  spiI: Uint8Array;
  spiR: Uint8Array;
  nextPayload: number;
  /** Received minor version (ignored by the protocol; always sent as 0). */
  minorVersion: number;
  exchangeType: number;
  /** I flag: sent by the original initiator of the IKE SA. */
  initiator: boolean;
  /** V flag: the sender can speak a higher major version. */
  higherVersion: boolean;
  /** R flag: this message is a response. */
  response: boolean;
  messageId: number;
  /** Total message length, header included. */
  length: number;
}

/** Decodes the header of a whole datagram (IKE message), checking Length against it. */
export function decodeIkeHeader(datagram: Uint8Array): IkeHeader {
  const r = new ByteReader(datagram, { field: 'IKE header' });
  const spiI = r.bytes(IKE_SPI_LENGTH, 'initiator SPI');
  const spiR = r.bytes(IKE_SPI_LENGTH, 'responder SPI');
  const nextPayload = r.u8('next payload');
  const version = r.u8('version');
  const exchangeType = r.u8('exchange type');
  const flags = r.u8('flags');
  const messageId = r.u32('message ID');
  const length = r.u32('length');
  const major = version >>> 4;
  if (major !== IKE_MAJOR_VERSION) {
    throw new IkeSyntaxError('unsupported-version', `IKE major version ${major}, expected 2`, {
      field: 'version',
    });
  }
  if (length !== datagram.length) {
    throw new IkeSyntaxError(
      'bad-length',
      `IKE header length ${length} but the datagram has ${datagram.length} bytes`,
      { field: 'length' },
    );
  }
  return {
    spiI,
    spiR,
    nextPayload,
    minorVersion: version & 0x0f,
    exchangeType,
    initiator: (flags & HeaderFlag.INITIATOR) !== 0,
    higherVersion: (flags & HeaderFlag.VERSION) !== 0,
    response: (flags & HeaderFlag.RESPONSE) !== 0,
    messageId,
    length,
  };
}

/** Writes the 28-byte header (version 2.0, reserved flag bits 0). */
export function writeIkeHeader(w: ByteWriter, h: Omit<IkeHeader, 'minorVersion'>): void {
  if (h.spiI.length !== IKE_SPI_LENGTH || h.spiR.length !== IKE_SPI_LENGTH) {
    throw new IkeSyntaxError('invalid-value', 'IKE SPIs are 8 bytes', { field: 'SPI' });
  }
  const flags =
    (h.initiator ? HeaderFlag.INITIATOR : 0) |
    (h.higherVersion ? HeaderFlag.VERSION : 0) |
    (h.response ? HeaderFlag.RESPONSE : 0);
  w.bytes(h.spiI)
    .bytes(h.spiR)
    .u8(h.nextPayload, 'next payload')
    .u8(IKE_VERSION_BYTE)
    .u8(h.exchangeType, 'exchange type')
    .u8(flags)
    .u32(h.messageId, 'message ID')
    .u32(h.length, 'length');
}

export function encodeIkeHeader(h: Omit<IkeHeader, 'minorVersion'>): Uint8Array {
  const w = new ByteWriter(IKE_HEADER_LENGTH);
  writeIkeHeader(w, h);
  return w.finish();
}
