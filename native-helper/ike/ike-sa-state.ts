/**
 * One IKE SA's keys, roles and message-ID state. An IKE SA is re-created on every IKE rekey
 * (RFC 7296 §2.18): the side that starts the rekey becomes the new SA's initiator, so after a
 * gateway-initiated rekey we send with SK_er and without the I flag.
 */
import type { Random } from './crypto/random.js';
import type { IkeSaKeys } from './crypto/keymat.js';
import { deriveIkeSaKeys, rekeyedSkeyseed, skeyseed } from './crypto/keymat.js';
import type { SkCipher } from './crypto/sk-cipher.js';
import { createSkCipher } from './crypto/sk-ciphers.js';
import { zeroise } from './crypto/hash.js';
import { FragmentReassembler } from './message/message.js';
import type { NegotiatedAlgorithms } from './sa-negotiation.js';

export interface IkeSaState {
  spiI: Uint8Array;
  spiR: Uint8Array;
  /** True when we are the initiator of this IKE SA (we set the I flag and send with SK_ei). */
  weAreInitiator: boolean;
  algorithms: NegotiatedAlgorithms;
  keys: IkeSaKeys;
  /** Protects what we send / opens what we receive. */
  out: SkCipher;
  in: SkCipher;
  reassembler: FragmentReassembler;
  nextRequestId: number;
  /** The next request ID we expect from the peer. */
  peerNextId: number;
  lastPeerResponse?: { messageId: number; datagrams: Uint8Array[] };
}

export interface IkeSaInputs {
  algorithms: NegotiatedAlgorithms;
  nonceI: Uint8Array;
  nonceR: Uint8Array;
  spiI: Uint8Array;
  spiR: Uint8Array;
  sharedSecret: Uint8Array;
  weAreInitiator: boolean;
  random: Random;
  /** For a rekey: the old SA's PRF and SK_d (RFC 7296 §2.18). */
  rekeyOf?: IkeSaState | undefined;
}

/** Derives an IKE SA (initial or rekeyed) and zeroises the intermediate secrets. */
export function createIkeSaState(i: IkeSaInputs): IkeSaState {
  const alg = i.algorithms;
  if (alg.prf === undefined) throw new Error('an IKE SA needs a PRF');
  const seed = i.rekeyOf
    ? rekeyedSkeyseed(
        i.rekeyOf.algorithms.prf!,
        i.rekeyOf.keys.skD,
        i.sharedSecret,
        i.nonceI,
        i.nonceR,
      )
    : skeyseed(alg.prf, i.nonceI, i.nonceR, i.sharedSecret);
  const keys = deriveIkeSaKeys(
    { encr: alg.encr, encrKeyBits: alg.encrKeyBits, prf: alg.prf, integ: alg.integ },
    seed,
    {
      nonceI: i.nonceI,
      nonceR: i.nonceR,
      spiI: i.spiI,
      spiR: i.spiR,
    },
  );
  zeroise(seed);
  const [outE, outA, inE, inA] = i.weAreInitiator
    ? [keys.skEi, keys.skAi, keys.skEr, keys.skAr]
    : [keys.skEr, keys.skAr, keys.skEi, keys.skAi];
  const inCipher = createSkCipher(alg.encr, alg.encrKeyBits, alg.integ, inE, inA, i.random);
  return {
    spiI: i.spiI,
    spiR: i.spiR,
    weAreInitiator: i.weAreInitiator,
    algorithms: alg,
    keys,
    out: createSkCipher(alg.encr, alg.encrKeyBits, alg.integ, outE, outA, i.random),
    in: inCipher,
    reassembler: new FragmentReassembler(inCipher),
    nextRequestId: 0,
    peerNextId: 0,
  };
}
