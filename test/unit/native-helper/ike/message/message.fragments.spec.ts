import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../../../../native-helper/ike/message/exchange-type.js';
import { encodeIkeHeader } from '../../../../../native-helper/ike/message/ike-header.js';
import {
  FragmentReassembler,
  decodeHeader,
  encodeFragments,
  encodeMessage,
  type IkeMessage,
} from '../../../../../native-helper/ike/message/message.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex } from '../../../../support/hex.js';
import { TestSkCipher } from '../../../../support/test-sk-cipher.js';
import { expectSyntaxError } from './helpers.js';

const KEY = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f 01020304');

function authRequest(certBytes = 3000, messageId = 1): IkeMessage {
  const cert = new Uint8Array(certBytes).map((_, i) => i & 0xff);
  return {
    spiI: hex('3a47689d5f8bcfa6'),
    spiR: hex('90ee0cdda77c7b4c'),
    exchangeType: ExchangeType.IKE_AUTH,
    initiator: true,
    response: false,
    higherVersion: false,
    messageId,
    encrypted: true,
    payloads: [
      { type: PayloadType.IDI, idType: 3, data: new TextEncoder().encode('client1@psk.lab.test') },
      { type: PayloadType.CERT, encoding: 4, data: cert },
      { type: PayloadType.AUTH, method: 14, data: hex('02 0500 aabbccdd') },
      {
        type: PayloadType.NOTIFY,
        protocolId: 0,
        spi: new Uint8Array(0),
        notifyType: 16384,
        data: new Uint8Array(0),
      },
    ],
  };
}

const reassembler = (limits?: { maxFragments: number; maxBytes: number }) => {
  const cipher = new TestSkCipher(KEY);
  return { cipher, r: new FragmentReassembler(cipher, limits) };
};

function pushAll(r: FragmentReassembler, frags: Uint8Array[]) {
  return frags.map((f) => r.push(f));
}

describe('encodeFragments', () => {
  it('splits into full IKE messages with SKF, within the size limit', () => {
    const frags = encodeFragments(authRequest(), new TestSkCipher(KEY), 576);
    expect(frags.length).toBeGreaterThan(5);
    frags.forEach((f, i) => {
      expect(f.length).toBeLessThanOrEqual(576);
      const h = decodeHeader(f);
      expect(h.ok && h.header).toMatchObject({
        nextPayload: PayloadType.SKF,
        messageId: 1,
        exchangeType: 35,
      });
      expect(f[28]).toBe(i === 0 ? PayloadType.IDI : 0); // SKF Next Payload
      expect((f[32]! << 8) | f[33]!).toBe(i + 1);
      expect((f[34]! << 8) | f[35]!).toBe(frags.length);
    });
    expect(frags.slice(0, -1).every((f) => f.length === 576)).toBe(true);
  });

  it('refuses IKE_SA_INIT and sizes with no room', () => {
    const init = { ...authRequest(), exchangeType: ExchangeType.IKE_SA_INIT };
    expectSyntaxError(() => encodeFragments(init, new TestSkCipher(KEY), 1280), 'rule-violation');
    expectSyntaxError(
      () => encodeFragments(authRequest(), new TestSkCipher(KEY), 36 + 25),
      'rule-violation',
    );
  });
});

describe('FragmentReassembler', () => {
  it('reassembles in order', () => {
    const m = authRequest();
    const frags = encodeFragments(m, new TestSkCipher(KEY), 576);
    const { r } = reassembler();
    const results = pushAll(r, frags);
    results
      .slice(0, -1)
      .forEach((x, i) =>
        expect(x).toEqual({ status: 'incomplete', received: i + 1, total: frags.length }),
      );
    expect(results.at(-1)).toEqual({ status: 'complete', message: m });
    expect(r.held).toBe(0);
  });

  it('reassembles out of order and drops duplicates without decrypting them', () => {
    const m = authRequest();
    const frags = encodeFragments(m, new TestSkCipher(KEY), 700);
    const { r, cipher } = reassembler();
    const order = frags.map((_, i) => i).reverse();
    const last = order.pop()!;
    for (const i of order) expect(r.push(frags[i]!).status).toBe('incomplete');
    const opened = cipher.opened;
    expect(r.push(frags[order[0]!]!)).toEqual({ status: 'dropped', reason: 'duplicate' });
    expect(r.push(frags[order[1]!]!)).toEqual({ status: 'dropped', reason: 'duplicate' });
    expect(cipher.opened).toBe(opened);
    expect(r.push(frags[last]!)).toEqual({ status: 'complete', message: m });
  });

  it('rejects a tampered fragment before storing it', () => {
    const m = authRequest();
    const frags = encodeFragments(m, new TestSkCipher(KEY), 576);
    const { r } = reassembler();
    r.push(frags[0]!);
    const forged = frags[1]!.slice();
    forged[100]! ^= 0x40;
    expect(r.push(forged)).toMatchObject({
      status: 'error',
      protected: false,
      error: { code: 'authentication-failed' },
    });
    expect(r.held).toBe(1);
    // A forged fragment claiming a larger total does not restart either.
    const bigger = encodeFragments(m, new TestSkCipher(KEY), 300)[0]!.slice();
    bigger[bigger.length - 1]! ^= 1;
    expect(r.push(bigger)).toMatchObject({
      status: 'error',
      error: { code: 'authentication-failed' },
    });
    expect(r.held).toBe(1);
    const rest = pushAll(r, frags.slice(1));
    expect(rest.at(-1)).toEqual({ status: 'complete', message: m });
  });

  it('restarts on a larger Total Fragments and drops fragments of the older, smaller split', () => {
    const m = authRequest();
    const large = encodeFragments(m, new TestSkCipher(KEY), 1280);
    const small = encodeFragments(m, new TestSkCipher(KEY), 576);
    expect(small.length).toBeGreaterThan(large.length);
    const { r } = reassembler();
    r.push(large[0]!);
    r.push(large[1]!);
    expect(r.held).toBe(2);
    expect(r.push(small[2]!)).toMatchObject({
      status: 'incomplete',
      received: 1,
      total: small.length,
    });
    expect(r.push(large[2]!)).toEqual({ status: 'dropped', reason: 'stale-total' });
    const rest = pushAll(r, [small[0]!, small[1]!, ...small.slice(3)]);
    expect(rest.at(-1)).toEqual({ status: 'complete', message: m });
  });

  it('refuses more than 64 fragments, and honours custom limits', () => {
    const frags = encodeFragments(authRequest(5000), new TestSkCipher(KEY), 100);
    expect(frags.length).toBeGreaterThan(64);
    const { r } = reassembler();
    expect(r.push(frags[0]!)).toMatchObject({
      status: 'error',
      protected: false,
      error: { field: 'total fragments' },
    });
    expect(r.held).toBe(0);
    const few = encodeFragments(authRequest(3000), new TestSkCipher(KEY), 576);
    const tight = reassembler({ maxFragments: 3, maxBytes: 65536 });
    expect(tight.r.push(few[0]!)).toMatchObject({
      status: 'error',
      error: { code: 'invalid-value' },
    });
  });

  it('bounds the bytes held', () => {
    const frags = encodeFragments(authRequest(3000), new TestSkCipher(KEY), 1280);
    const { r } = reassembler({ maxFragments: 64, maxBytes: 2000 });
    const results = pushAll(r, frags);
    expect(results).toContainEqual(
      expect.objectContaining({
        status: 'error',
        protected: true,
        error: expect.objectContaining({ code: 'bad-length' }),
      }),
    );
    expect(results.some((x) => x.status === 'complete')).toBe(false);
  });

  it('refuses fragments of another message until reset', () => {
    const one = encodeFragments(authRequest(3000, 1), new TestSkCipher(KEY), 576);
    const two = encodeFragments(authRequest(3000, 2), new TestSkCipher(KEY), 576);
    const { r } = reassembler();
    r.push(one[0]!);
    expect(r.push(two[0]!)).toMatchObject({ status: 'error', error: { field: 'message ID' } });
    r.reset();
    expect(r.push(two[0]!).status).toBe('incomplete');
  });

  it('handles a single fragment and an empty message', () => {
    const m = { ...authRequest(), exchangeType: ExchangeType.INFORMATIONAL, payloads: [] };
    const frags = encodeFragments(m, new TestSkCipher(KEY), 1280);
    expect(frags).toHaveLength(1);
    expect(reassembler().r.push(frags[0]!)).toEqual({ status: 'complete', message: m });
  });

  it('refuses non-fragments, IKE_SA_INIT fragments and payloads before SKF', () => {
    const { r } = reassembler();
    const whole = encodeMessage(authRequest(), new TestSkCipher(KEY));
    expect(r.push(whole)).toMatchObject({ status: 'error', error: { code: 'invalid-value' } });
    const body = hex('00 00 0021 0001 0001'); // SKF header, 1/1, then 25 sealed bytes
    const sealed = new TestSkCipher(KEY).seal(new Uint8Array(0), new Uint8Array(0));
    const mk = (exchangeType: number, outer: Uint8Array, first: number) =>
      new Uint8Array(
        Buffer.concat([
          encodeIkeHeader({
            spiI: hex('3a47689d5f8bcfa6'),
            spiR: hex('90ee0cdda77c7b4c'),
            nextPayload: first,
            exchangeType,
            initiator: true,
            higherVersion: false,
            response: false,
            messageId: 1,
            length: 28 + outer.length + body.length + sealed.length,
          }),
          outer,
          body,
          sealed,
        ]),
      );
    expect(r.push(mk(ExchangeType.IKE_SA_INIT, new Uint8Array(0), PayloadType.SKF))).toMatchObject({
      status: 'error',
      error: { code: 'rule-violation' },
    });
    expect(r.push(mk(ExchangeType.IKE_AUTH, hex('35 00 0004'), 60))).toMatchObject({
      status: 'error',
      error: { code: 'rule-violation' },
    });
    expect(r.push(new Uint8Array(5))).toMatchObject({
      status: 'error',
      error: { code: 'truncated' },
    });
  });
});
