import { describe, expect, it } from 'vitest';
import {
  IdType,
  decodeIdPayload,
  encodeIdPayload,
} from '../../../../../native-helper/ike/message/id-payload.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// IDi body of frame 3: ID_RFC822_ADDR client1@psk.lab.test
const IDI = hex('03 000000' + Buffer.from('client1@psk.lab.test').toString('hex'));

describe('ID payload', () => {
  it('decodes IDi of the capture', () => {
    const id = decodeIdPayload(IDI, PayloadType.IDI);
    expect(id).toMatchObject({ type: PayloadType.IDI, idType: IdType.RFC822_ADDR });
    expect(Buffer.from(id.data).toString()).toBe('client1@psk.lab.test');
  });

  it('encodes back to the same bytes', () => {
    expect(toHex(encodeIdPayload(decodeIdPayload(IDI, PayloadType.IDI)))).toBe(toHex(IDI));
  });

  it('rejects truncations', () => {
    expectAllPrefixesRejected(IDI.subarray(0, 4), (b) => decodeIdPayload(b, PayloadType.IDR));
  });

  it('checks the data length per ID type', () => {
    expect(decodeIdPayload(hex('01 000000 c0000202'), PayloadType.IDR).idType).toBe(
      IdType.IPV4_ADDR,
    );
    expectSyntaxError(
      () => decodeIdPayload(hex('01 000000 c00002'), PayloadType.IDR),
      'invalid-value',
    );
    expectSyntaxError(
      () => decodeIdPayload(hex('05 000000 c0000202'), PayloadType.IDR),
      'invalid-value',
    );
    expect(decodeIdPayload(hex('0d 000000'), PayloadType.IDI).data).toHaveLength(0);
    expectSyntaxError(() => decodeIdPayload(hex('0d 000000 00'), PayloadType.IDI), 'invalid-value');
    expectSyntaxError(() => decodeIdPayload(hex('02 000000'), PayloadType.IDI), 'invalid-value');
    expect(decodeIdPayload(hex('c8 000000 aa'), PayloadType.IDI).idType).toBe(200);
  });
});
