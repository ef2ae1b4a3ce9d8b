import { describe, expect, it } from 'vitest';
import {
  decodeDeletePayload,
  encodeDeletePayload,
} from '../../../../../native-helper/ike/message/delete-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// Delete body of frame 11 (decrypted): the IKE SA.
const DELETE_IKE = hex('01 00 0000');
const DELETE_ESP = hex('03 04 0002 3bf7fb33 feae5191');

describe('Delete payload', () => {
  it('decodes the IKE SA delete of the capture and an ESP delete', () => {
    expect(decodeDeletePayload(DELETE_IKE)).toMatchObject({ protocolId: 1, spis: [] });
    expect(decodeDeletePayload(DELETE_ESP).spis.map(toHex)).toEqual(['3bf7fb33', 'feae5191']);
  });

  it.each([DELETE_IKE, DELETE_ESP])('encodes back to the same bytes', (b) => {
    expect(toHex(encodeDeletePayload(decodeDeletePayload(b)))).toBe(toHex(b));
  });

  it('rejects truncations and counts inconsistent with the length', () => {
    expectAllPrefixesRejected(DELETE_ESP, decodeDeletePayload);
    expectSyntaxError(
      () => decodeDeletePayload(hex('03 04 0003 3bf7fb33 feae5191')),
      'bad-length',
      'num of SPIs',
    );
    expectSyntaxError(
      () => decodeDeletePayload(hex('03 04 0001 3bf7fb33 feae5191')),
      'bad-length',
      'num of SPIs',
    );
    expectSyntaxError(
      () => decodeDeletePayload(hex('03 04 ffff 3bf7fb33')),
      'bad-length',
      'num of SPIs',
    );
  });

  it('enforces SPI sizes per protocol', () => {
    expectSyntaxError(
      () => decodeDeletePayload(hex('01 08 0001 0102030405060708')),
      'invalid-value',
      'SPI size',
    );
    expectSyntaxError(() => decodeDeletePayload(hex('03 00 0000')), 'invalid-value', 'SPI size');
    expectSyntaxError(() => decodeDeletePayload(hex('03 04 0000')), 'invalid-value', 'num of SPIs');
    expectSyntaxError(() => decodeDeletePayload(hex('00 00 0000')), 'invalid-value', 'protocol ID');
    expectSyntaxError(
      () => decodeDeletePayload(hex('04 04 0001 00000001')),
      'invalid-value',
      'protocol ID',
    );
  });
});
