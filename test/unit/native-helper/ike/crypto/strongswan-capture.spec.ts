/**
 * The real strongSwan 5.9.8 PSK session (test/fixtures/captures): from the logged DH secret, the
 * nonces and SPIs on the wire, derive every key and compare with what charon logged, decrypt both
 * IKE_AUTH messages with our GCM SkCipher and recompute both PSK AUTH payloads.
 * IKE aes256gcm16-prfsha256-ecp256, ESP aes256gcm16.
 */
import { describe, expect, it } from 'vitest';
import {
  macedId,
  pskAuth,
  signedOctets,
  verifyPskAuth,
} from '../../../../../native-helper/ike/crypto/auth.js';
import {
  deriveChildSaKeys,
  deriveIkeSaKeys,
  skeyseed,
} from '../../../../../native-helper/ike/crypto/keymat.js';
import { natDetectionHash } from '../../../../../native-helper/ike/crypto/nat-detection.js';
import { prf } from '../../../../../native-helper/ike/crypto/prf.js';
import { parseProposal } from '../../../../../native-helper/ike/crypto/proposal-syntax.js';
import { createSkCipher } from '../../../../../native-helper/ike/crypto/sk-ciphers.js';
import { nodeRandom } from '../../../../../native-helper/platform/crypto/node-crypto-provider.js';
import { keyLogEntry, readCapture } from '../../../../support/capture.js';
import { toHex } from '../../../../support/hex.js';

const PSK = 'lab-psk-0123456789abcdef';
const PRF_SHA256 = 5;

interface Payload {
  type: number;
  /** Bytes after the 4-byte generic payload header. */
  body: Uint8Array;
}

/** Minimal generic-payload walker (RFC 7296 §3.2), independent of the message codec. */
function payloads(first: number, bytes: Uint8Array): Payload[] {
  const out: Payload[] = [];
  let type = first;
  let off = 0;
  while (type !== 0) {
    const next = bytes[off]!;
    const len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    expect(len).toBeGreaterThanOrEqual(4);
    expect(off + len).toBeLessThanOrEqual(bytes.length);
    out.push({ type, body: bytes.subarray(off + 4, off + len) });
    off += len;
    type = next;
  }
  expect(off).toBe(bytes.length);
  return out;
}

function ikeMessage(payload: Uint8Array, port: number): Uint8Array {
  if (port === 4500) {
    expect(toHex(payload.subarray(0, 4))).toBe('00000000'); // non-ESP marker
    return payload.subarray(4);
  }
  return payload;
}

function payloadOf(list: Payload[], type: number): Uint8Array {
  const p = list.find((x) => x.type === type);
  if (!p) throw new Error(`no payload of type ${type}`);
  return p.body;
}

describe('captured strongSwan 5.9.8 PSK session', () => {
  const frames = readCapture();
  const init1 = ikeMessage(frames[0]!.payload, frames[0]!.dstPort);
  const init2 = ikeMessage(frames[1]!.payload, frames[1]!.srcPort);
  const auth3 = ikeMessage(frames[2]!.payload, frames[2]!.dstPort);
  const auth4 = ikeMessage(frames[3]!.payload, frames[3]!.srcPort);
  const spiI = init2.subarray(0, 8);
  const spiR = init2.subarray(8, 16);
  const p1 = payloads(init1[16]!, init1.subarray(28));
  const p2 = payloads(init2[16]!, init2.subarray(28));
  const nonceI = payloadOf(p1, 40);
  const nonceR = payloadOf(p2, 40);
  const sharedSecret = keyLogEntry('shared Diffie Hellman secret');

  it('the frames are the expected IKE_SA_INIT and IKE_AUTH exchanges', () => {
    expect([init1[18], init2[18], auth3[18], auth4[18]]).toEqual([34, 34, 35, 35]);
    expect(frames[2]!.dstPort).toBe(4500);
    expect(toHex(init1.subarray(0, 8))).toBe(toHex(spiI));
    expect(toHex(keyLogEntry('seed'))).toBe(toHex(Uint8Array.from([...nonceI, ...nonceR])));
    expect(sharedSecret.length).toBe(32); // ECP-256 x coordinate
  });

  it('the negotiated proposal is what our syntax calls aes256gcm16-prfsha256-ecp256', () => {
    const p = parseProposal('aes256gcm16-prfsha256-ecp256', 'ike');
    // SA payload of the response: one proposal with ENCR 20 (256), PRF 5, KE 19
    const sa = payloadOf(p2, 33);
    const transforms: number[][] = [];
    let off = 8; // proposal header (SPI size 0)
    while (off < sa.length) {
      const tlen = (sa[off + 2]! << 8) | sa[off + 3]!;
      transforms.push([sa[off + 4]!, (sa[off + 6]! << 8) | sa[off + 7]!]);
      off += tlen;
    }
    expect(transforms).toEqual([
      [1, p.encr[0]!.id],
      [2, p.prf[0]!],
      [4, p.ke[0]!],
    ]);
  });

  const keys = deriveIkeSaKeys(
    { encr: 20, encrKeyBits: 256, prf: PRF_SHA256 },
    skeyseed(PRF_SHA256, nonceI, nonceR, sharedSecret),
    {
      nonceI,
      nonceR,
      spiI,
      spiR,
    },
  );

  it('SKEYSEED and every SK_* match the log byte for byte', () => {
    expect(toHex(skeyseed(PRF_SHA256, nonceI, nonceR, sharedSecret))).toBe(
      toHex(keyLogEntry('SKEYSEED')),
    );
    expect(toHex(keys.skD)).toBe(toHex(keyLogEntry('Sk_d secret')));
    expect(toHex(keys.skEi)).toBe(toHex(keyLogEntry('Sk_ei secret')));
    expect(toHex(keys.skEr)).toBe(toHex(keyLogEntry('Sk_er secret')));
    expect(toHex(keys.skPi)).toBe(toHex(keyLogEntry('Sk_pi secret')));
    expect(toHex(keys.skPr)).toBe(toHex(keyLogEntry('Sk_pr secret')));
    expect(keys.skAi.length + keys.skAr.length).toBe(0);
  });

  it('NAT-D hashes match every logged natd_chunk / natd_hash pair', () => {
    for (let n = 0; n < 4; n++) {
      const chunk = keyLogEntry('natd_chunk', n);
      const port = (chunk[20]! << 8) | chunk[21]!;
      const h = natDetectionHash(
        chunk.subarray(0, 8),
        chunk.subarray(8, 16),
        chunk.subarray(16, 20),
        port,
      );
      expect(toHex(h)).toBe(toHex(keyLogEntry('natd_hash', n)));
    }
    // the destination hash in the request: SPIr = 0, the responder's address and port 500
    const notifies = p1.filter((p) => p.type === 41 && ((p.body[2]! << 8) | p.body[3]!) === 16389);
    expect(notifies).toHaveLength(1);
    const dst = natDetectionHash(spiI, new Uint8Array(8), frames[0]!.dstIp, 500);
    expect(toHex(notifies[0]!.body.subarray(4))).toBe(toHex(dst));
    // The responder fakes NAT detection (README): its NAT_DETECTION_SOURCE_IP does not match what
    // the initiator expects for 198.51.100.10:500 (natd_hash #2, "precalculated src_hash"), which
    // is why the SA floats to port 4500.
    const src2 = p2.find((p) => p.type === 41 && ((p.body[2]! << 8) | p.body[3]!) === 16388)!;
    const expectedSrc = natDetectionHash(spiI, spiR, frames[1]!.srcIp, 500);
    expect(toHex(expectedSrc)).toBe(toHex(keyLogEntry('precalculated src_hash')));
    expect(toHex(src2.body.subarray(4))).not.toBe(toHex(expectedSrc));
    // its NAT_DETECTION_DESTINATION_IP is honest: our address and port as it sees them
    const dst2 = p2.find((p) => p.type === 41 && ((p.body[2]! << 8) | p.body[3]!) === 16389)!;
    expect(toHex(dst2.body.subarray(4))).toBe(
      toHex(natDetectionHash(spiI, spiR, frames[1]!.dstIp, 500)),
    );
  });

  function openSk(msg: Uint8Array, key: Uint8Array): { first: number; inner: Uint8Array } {
    expect(msg[16]).toBe(46); // SK
    const len = new DataView(msg.buffer, msg.byteOffset).getUint32(24);
    expect(len).toBe(msg.length);
    const sk = createSkCipher(20, 256, undefined, key, undefined, nodeRandom);
    const inner = sk.open(msg.subarray(0, 32), msg.subarray(32, len));
    expect(inner).toBeDefined();
    return { first: msg[28]!, inner: inner! };
  }

  it('decrypts the IKE_AUTH request with SK_ei: IDi client1@psk.lab.test first, AUTH = PSK MAC', () => {
    const { first, inner } = openSk(auth3, keys.skEi);
    expect(first).toBe(35); // IDi
    expect(inner[4]).toBe(3); // ID_RFC822_ADDR
    expect(new TextDecoder().decode(inner.subarray(8, 28))).toBe('client1@psk.lab.test');
    const list = payloads(first, inner);
    const idi = payloadOf(list, 35);
    expect(toHex(idi)).toBe(toHex(keyLogEntry("IDx'", 0)));
    const auth = payloadOf(list, 39);
    expect(auth[0]).toBe(2); // Shared Key Message Integrity Code
    const octets = signedOctets(init1, nonceR, PRF_SHA256, keys.skPi, idi);
    expect(toHex(octets)).toBe(
      toHex(keyLogEntry("octets = message + nonce + prf(Sk_px, IDx')", 0)),
    );
    expect(toHex(pskAuth(PRF_SHA256, PSK, octets))).toBe(toHex(auth.subarray(4)));
    expect(toHex(pskAuth(PRF_SHA256, PSK, octets))).toBe(
      toHex(keyLogEntry('AUTH = prf(prf(secret, keypad), octets)', 0)),
    );
    expect(
      toHex(
        prf(
          PRF_SHA256,
          new TextEncoder().encode(PSK),
          new TextEncoder().encode('Key Pad for IKEv2'),
        ),
      ),
    ).toBe(toHex(keyLogEntry('prf(secret, keypad)', 0)));
    expect(verifyPskAuth(PRF_SHA256, PSK, octets, auth.subarray(4))).toBe(true);
    expect(verifyPskAuth(PRF_SHA256, PSK + 'x', octets, auth.subarray(4))).toBe(false);
    expect(verifyPskAuth(PRF_SHA256, PSK, octets, auth.subarray(4, 20))).toBe(false);
  });

  it('the request does not open with SK_er, nor with a modified header', () => {
    const sk = createSkCipher(20, 256, undefined, keys.skEr, undefined, nodeRandom);
    expect(sk.open(auth3.subarray(0, 32), auth3.subarray(32))).toBeUndefined();
    const hdr = auth3.slice(0, 32);
    hdr[19]! ^= 0x20; // flip the response flag
    expect(
      createSkCipher(20, 256, undefined, keys.skEi, undefined, nodeRandom).open(
        hdr,
        auth3.subarray(32),
      ),
    ).toBeUndefined();
  });

  it('decrypts the IKE_AUTH response with SK_er: IDr vpn.lab.test, responder AUTH verifies', () => {
    const { first, inner } = openSk(auth4, keys.skEr);
    expect(first).toBe(36); // IDr
    const list = payloads(first, inner);
    const idr = payloadOf(list, 36);
    expect(idr[0]).toBe(2); // ID_FQDN
    expect(new TextDecoder().decode(idr.subarray(4))).toBe('vpn.lab.test');
    const auth = payloadOf(list, 39);
    expect(auth[0]).toBe(2);
    const octets = signedOctets(init2, nonceI, PRF_SHA256, keys.skPr, idr);
    expect(toHex(octets)).toBe(
      toHex(keyLogEntry("octets = message + nonce + prf(Sk_px, IDx')", 1)),
    );
    expect(verifyPskAuth(PRF_SHA256, PSK, octets, auth.subarray(4))).toBe(true);
    expect(toHex(macedId(PRF_SHA256, keys.skPr, idr))).toBe(
      toHex(octets.subarray(octets.length - 32)),
    );
  });

  it('Child SA keys (ESP aes256gcm16, KEYMAT = prf+(SK_d, Ni | Nr)) match the log', () => {
    const child = deriveChildSaKeys(
      PRF_SHA256,
      keys.skD,
      { nonceI, nonceR },
      { encr: 20, encrKeyBits: 256 },
    );
    expect(toHex(child.encrI)).toBe(toHex(keyLogEntry('encryption initiator key')));
    expect(toHex(child.encrR)).toBe(toHex(keyLogEntry('encryption responder key')));
    expect(child.integI.length).toBe(0);
  });
});
