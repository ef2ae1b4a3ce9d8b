/**
 * The retransmission schedule (RFC 7296 §2.1) as a pure function, with strongSwan's defaults:
 * attempt n (0 = the first send) waits timeout · base^n; after `tries` retransmissions the last
 * wait ends in giving up. Defaults: 4 s, 7.2 s, 13 s, 23.3 s, 42 s, 75.6 s → give up after 165 s.
 */
import { RETRANSMIT_BASE, RETRANSMIT_TIMEOUT_MS, RETRANSMIT_TRIES } from '../constants.js';

export interface RetransmitPolicy {
  timeoutMs: number;
  base: number;
  tries: number;
}

export const DEFAULT_RETRANSMIT_POLICY: RetransmitPolicy = {
  timeoutMs: RETRANSMIT_TIMEOUT_MS,
  base: RETRANSMIT_BASE,
  tries: RETRANSMIT_TRIES,
};

/**
 * How long to wait after send number `attempt` (0-based) before the next step: a retransmission
 * while attempt < tries, giving up when attempt === tries; undefined past that.
 */
export function retransmitDelay(
  attempt: number,
  policy: RetransmitPolicy = DEFAULT_RETRANSMIT_POLICY,
): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > policy.tries) return undefined;
  return Math.round(policy.timeoutMs * policy.base ** attempt);
}

/** Total time from the first send until giving up (the DPD/peer-unreachable budget). */
export function retransmitBudget(policy: RetransmitPolicy = DEFAULT_RETRANSMIT_POLICY): number {
  let total = 0;
  for (let i = 0; i <= policy.tries; i++) total += retransmitDelay(i, policy) ?? 0;
  return total;
}
