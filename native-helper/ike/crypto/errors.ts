/**
 * Typed errors of the IKE control-plane crypto. They are thrown for programming or configuration
 * errors (an unsupported transform, a wrong key length); untrusted peer input is reported through
 * result values instead (see ke.ts, SkCipher.open).
 */
export type IkeCryptoErrorCode =
  | 'unsupported-transform'
  | 'unsupported-group'
  | 'bad-key-length'
  | 'prf-plus-too-long'
  | 'iv-exhausted'
  | 'bad-argument';

export class IkeCryptoError extends Error {
  override readonly name = 'IkeCryptoError';
  constructor(
    readonly code: IkeCryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
