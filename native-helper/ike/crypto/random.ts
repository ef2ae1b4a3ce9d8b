/**
 * Randomness is passed into the sans-I/O core (SPIs, nonces, IVs, key-exchange secrets, fake NAT-D
 * addresses). The helper passes a node:crypto-backed implementation; tests pass a fixed one.
 */
export interface Random {
  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array;
}
