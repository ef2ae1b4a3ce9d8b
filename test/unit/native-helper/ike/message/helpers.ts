/** Shared assertions for the message codec specs. */
import { expect } from 'vitest';
import {
  IkeSyntaxError,
  type IkeSyntaxErrorCode,
} from '../../../../../native-helper/ike/message/codec.js';

/** Asserts that `f` throws an IkeSyntaxError with this code (and field, when given). */
export function expectSyntaxError(
  f: () => unknown,
  code: IkeSyntaxErrorCode,
  field?: string,
): IkeSyntaxError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an IkeSyntaxError').toBeInstanceOf(IkeSyntaxError);
  const err = caught as IkeSyntaxError;
  expect(err.code, err.message).toBe(code);
  if (field !== undefined) expect(err.field, err.message).toBe(field);
  return err;
}

/** Every strict prefix of `body` must be rejected (as truncated or an inconsistent length). */
export function expectAllPrefixesRejected(
  body: Uint8Array,
  decode: (b: Uint8Array) => unknown,
): void {
  for (let n = 0; n < body.length; n++) {
    let caught: unknown;
    try {
      decode(body.subarray(0, n));
    } catch (e) {
      caught = e;
    }
    expect(caught, `prefix of ${n} bytes accepted`).toBeInstanceOf(IkeSyntaxError);
  }
}
