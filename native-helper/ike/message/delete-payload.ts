/**
 * Delete payload body (RFC 7296 §3.11).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: IKE SA deletes carry SPI size 0 and no SPIs (the SA is the one of the message);
 * AH/ESP deletes carry SPI size 4 and at least one SPI; Num of SPIs × SPI size is exactly the rest.
 */
import { ByteReader, ByteWriter, IkeSyntaxError, invalid } from './codec.js';
import { PayloadType, ProtocolId } from './payload-type.js';

export interface DeletePayload {
  type: typeof PayloadType.DELETE;
  protocolId: number;
  /** Empty for the IKE SA; 4-byte SPIs for AH/ESP. */
  spis: Uint8Array[];
}

const where = { payloadType: PayloadType.DELETE };

function spiSizeFor(protocolId: number): number {
  if (protocolId === ProtocolId.IKE) return 0;
  if (protocolId === ProtocolId.AH || protocolId === ProtocolId.ESP) return 4;
  throw invalid(`delete protocol ID ${protocolId}`, { ...where, field: 'protocol ID' });
}

function verify(p: DeletePayload): void {
  const size = spiSizeFor(p.protocolId);
  if (size === 0 ? p.spis.length !== 0 : p.spis.length === 0) {
    throw invalid(`${p.spis.length} SPIs for protocol ${p.protocolId}`, {
      ...where,
      field: 'num of SPIs',
    });
  }
  for (const s of p.spis) {
    if (s.length !== size)
      throw invalid(`SPI of ${s.length} bytes`, { ...where, field: 'SPI size' });
  }
}

export function decodeDeletePayload(body: Uint8Array): DeletePayload {
  const r = new ByteReader(body, where);
  const protocolId = r.u8('protocol ID');
  const spiSize = r.u8('SPI size');
  const count = r.u16('num of SPIs');
  if (spiSize !== spiSizeFor(protocolId)) {
    throw invalid(`SPI size ${spiSize} for protocol ${protocolId}`, {
      ...where,
      field: 'SPI size',
    });
  }
  if (count * spiSize !== r.remaining) {
    throw new IkeSyntaxError(
      'bad-length',
      `${count} SPIs of ${spiSize} bytes in ${r.remaining} bytes`,
      {
        ...where,
        field: 'num of SPIs',
      },
    );
  }
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize, 'SPI'));
  const p: DeletePayload = { type: PayloadType.DELETE, protocolId, spis };
  verify(p);
  return p;
}

export function encodeDeletePayload(p: DeletePayload): Uint8Array {
  verify(p);
  const size = spiSizeFor(p.protocolId);
  const w = new ByteWriter(4 + size * p.spis.length)
    .u8(p.protocolId)
    .u8(size)
    .u16(p.spis.length, 'num of SPIs');
  for (const s of p.spis) w.bytes(s);
  return w.finish();
}
