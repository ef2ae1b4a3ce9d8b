/**
 * Every protocol number the helper uses that is not an IANA code point (those live with their
 * codecs). Two blocks: what the specifications (and strongSwan's interoperable defaults) fix, and
 * what we chose.
 */

/* ── Specification constants and the reference implementation's defaults ─────────────────── */

/** RFC 7296 §2.1 retransmission; strongSwan charon.retransmit_timeout/base/tries defaults. */
export const RETRANSMIT_TIMEOUT_MS = 4_000;
export const RETRANSMIT_BASE = 1.8;
export const RETRANSMIT_TRIES = 5;
/** RFC 3948 §4: NAT keepalive every ≤ 20 s (strongSwan charon.keep_alive = 20s). */
export const NATT_KEEPALIVE_INTERVAL_MS = 20_000;
/** RFC 7296 §2.23 / RFC 3948: IKE on 500, NAT-T (IKE with non-ESP marker, ESP-in-UDP) on 4500. */
export const IKE_PORT = 500;
export const NATT_PORT = 4500;
/** RFC 7296 §2.10: nonces of at least 16 bytes and half the PRF key size; we send 32. */
export const NONCE_LENGTH = 32;
/** RFC 7296 §2.6: bounded COOKIE/INVALID_KE_PAYLOAD restarts (strongSwan ike_init.c MAX_RETRIES). */
export const MAX_IKE_INIT_RETRIES = 5;
/** RFC 7383 §2.5.1: strongSwan's charon.fragment_size default (whole IP datagram). */
export const DEFAULT_FRAGMENT_SIZE = 1280;

/* ── Implementation constants ──────────────────────────────────────────────────────────── */

/** DPD: an empty INFORMATIONAL after this long without authenticated inbound traffic. */
export const DEFAULT_DPD_DELAY_MS = 30_000;
/** Give up on a half-open IKE SA after this long (strongSwan charon.half_open_timeout). */
export const HALF_OPEN_TIMEOUT_MS = 30_000;
/** Bound on redirects followed for one connection attempt (loops A → B → A). */
export const MAX_REDIRECTS = 5;
/** Bound on EAP round trips inside one IKE_AUTH. */
export const MAX_EAP_ROUNDS = 50;
/** Default ESP anti-replay window (RFC 4303 asks ≥ 32; strongSwan uses 32; we keep more). */
export const DEFAULT_REPLAY_WINDOW = 128;
/** Keep the old inbound Child SA after a rekey for reordered packets (strongSwan: 5 s). */
export const REKEYED_INBOUND_GRACE_MS = 5_000;
