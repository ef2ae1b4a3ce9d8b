/**
 * The TUN MTU: what one ESP-in-UDP datagram carries on the path (the data plane's figure for the
 * installed transform), capped at 1400, never below 576 (or IPv6's 1280 with IPv6 inside) — or
 * the profile's own value. The same function runs again after a MOBIKE move to another path.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TUN_MTU, tunnelMtuFor } from '../../../../native-helper/tunnel/connection.js';
import { EspDataPlane } from '../../../../native-helper/tunnel/data-plane.js';

const random = { bytes: (n: number) => new Uint8Array(n).fill(0x33) };

function gcmPlane(): EspDataPlane {
  const any4 = {
    family: 4 as const,
    protocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddress: '0.0.0.0',
    endAddress: '255.255.255.255',
  };
  const plane = new EspDataPlane(
    () => undefined,
    () => undefined,
    random,
  );
  plane.install({
    spiIn: 0xc0000001,
    spiOut: 0x50000001,
    encr: 20,
    encrKeyBits: 256,
    integ: 0,
    encrKeyIn: new Uint8Array(36).fill(1),
    integKeyIn: new Uint8Array(0),
    encrKeyOut: new Uint8Array(36).fill(2),
    integKeyOut: new Uint8Array(0),
    tsLocal: [any4],
    tsRemote: [any4],
    local: { address: '192.0.2.2', port: 4500 },
    remote: { address: '198.51.100.1', port: 4500 },
    proposal: 'aes256gcm16',
  });
  return plane;
}

describe('tunnelMtuFor', () => {
  it('a 1500-byte path: 1400 (the cap); a smaller path lowers it by the ESP overhead', () => {
    const plane = gcmPlane();
    expect(tunnelMtuFor(plane.maxInnerLength(1500, 4), false)).toBe(DEFAULT_TUN_MTU);
    // the move of (b): the same SA on a 1400-byte path (a PPPoE or tunnelled uplink)
    expect(tunnelMtuFor(plane.maxInnerLength(1400, 4), false)).toBe(1338);
    expect(tunnelMtuFor(plane.maxInnerLength(1280, 6), false)).toBe(1198);
  });

  it('never below 576, nor below 1280 with IPv6 inside', () => {
    const plane = gcmPlane();
    expect(tunnelMtuFor(plane.maxInnerLength(600, 4), false)).toBe(576);
    expect(tunnelMtuFor(plane.maxInnerLength(1280, 6), true)).toBe(1280);
    expect(tunnelMtuFor(undefined, false)).toBe(DEFAULT_TUN_MTU);
  });

  it("the profile's mtu wins over the path (above the cap too), IPv6's minimum still holds", () => {
    const plane = gcmPlane();
    expect(tunnelMtuFor(plane.maxInnerLength(1500, 4), false, 1200)).toBe(1200);
    expect(tunnelMtuFor(plane.maxInnerLength(1500, 4), false, 8000)).toBe(8000);
    expect(tunnelMtuFor(plane.maxInnerLength(1500, 4), false, 576)).toBe(576);
    expect(tunnelMtuFor(plane.maxInnerLength(1500, 4), true, 576)).toBe(1280);
  });
});
