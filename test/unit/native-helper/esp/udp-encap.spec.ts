import { describe, expect, it } from 'vitest';
import {
  addNonEspMarker,
  demuxUdp4500,
  NAT_KEEPALIVE_BYTE,
  natKeepalive,
} from '../../../../native-helper/esp/udp-encap.js';
import { readCapture } from '../../../support/capture.js';
import { hex, toHex } from '../../../support/hex.js';

describe('UDP port 4500 demultiplexing (RFC 3948)', () => {
  it('recognises the NAT-keepalive', () => {
    expect(demuxUdp4500(Uint8Array.of(0xff))).toEqual({ kind: 'keepalive' });
    expect(demuxUdp4500(natKeepalive())).toEqual({ kind: 'keepalive' });
    expect([...natKeepalive()]).toEqual([NAT_KEEPALIVE_BYTE]);
    expect(natKeepalive()).not.toBe(natKeepalive());
    expect(demuxUdp4500(Uint8Array.of(0x00))).toEqual({
      kind: 'malformed',
      reason: 'bad-keepalive',
    });
    // 0xFF followed by more bytes is not a keepalive: an ESP packet whose SPI starts with 0xff.
    expect(demuxUdp4500(hex('ff000001 00000001')).kind).toBe('esp');
  });

  it('strips the non-ESP marker from IKE messages; a bare marker is malformed', () => {
    const ike = hex('0000000090ee0cdda77c7b4c1122');
    const r = demuxUdp4500(ike);
    expect(r.kind === 'ike' && toHex(r.message)).toBe('90ee0cdda77c7b4c1122');
    expect(demuxUdp4500(hex('00000000'))).toEqual({ kind: 'malformed', reason: 'bare-marker' });
    expect(demuxUdp4500(hex('00000000 00')).kind).toBe('ike');
  });

  it('passes ESP through with its SPI; too short for SPI ‖ Seq is malformed', () => {
    const r = demuxUdp4500(hex('3bf7fb33 00000001 aabb'));
    expect(r.kind).toBe('esp');
    if (r.kind !== 'esp') return;
    expect(r.spi).toBe(0x3bf7fb33);
    expect(r.packet).toHaveLength(10);
    expect(demuxUdp4500(hex('feae5191 000000')).kind).toBe('malformed');
    expect(demuxUdp4500(hex('feae5191'))).toEqual({ kind: 'malformed', reason: 'short-esp' });
    expect(demuxUdp4500(hex('0000'))).toEqual({ kind: 'malformed', reason: 'short-esp' });
    expect(demuxUdp4500(hex('000000'))).toEqual({ kind: 'malformed', reason: 'short-esp' });
    expect(demuxUdp4500(new Uint8Array(0))).toEqual({ kind: 'malformed', reason: 'empty' });
    const high = demuxUdp4500(hex('ffffffff 00000001'));
    expect(high.kind === 'esp' && high.spi).toBe(0xffffffff);
  });

  it('adds the marker', () => {
    expect(toHex(addNonEspMarker(hex('aabbcc')))).toBe('00000000aabbcc');
    const round = demuxUdp4500(addNonEspMarker(hex('aabbcc')));
    expect(round.kind === 'ike' && toHex(round.message)).toBe('aabbcc');
  });

  it('classifies every port-4500 datagram of the strongSwan capture', () => {
    const kinds = readCapture()
      .filter((d) => d.srcPort === 4500 && d.dstPort === 4500)
      .map((d) => {
        const r = demuxUdp4500(d.payload);
        if (r.kind === 'ike') {
          // The IKE header's exchange type (byte 18): 35 IKE_AUTH, 37 INFORMATIONAL.
          return `${d.index}:ike/${r.message[18]}`;
        }
        return `${d.index}:${r.kind}`;
      });
    expect(kinds).toEqual([
      '3:ike/35',
      '4:ike/35',
      '5:esp',
      '6:esp',
      '7:esp',
      '8:esp',
      '9:esp',
      '10:esp',
      '11:ike/37',
      '12:ike/37',
    ]);
  });
});
