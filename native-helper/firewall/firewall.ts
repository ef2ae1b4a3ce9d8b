/** The firewall a tunnel state drives: one policy at a time, replaced atomically. */
import type { FirewallPolicy } from './policy.js';

export interface Firewall {
  /** Replaces whatever Tsunagi had in the kernel with this policy, in one transaction. */
  apply(policy: FirewallPolicy): Promise<void>;
  /**
   * Whether the rules of `policy` (the last one applied) are still in the kernel: false when
   * something else removed them (another firewall manager flushing the ruleset). Optional: a
   * backend without it is not watched.
   */
  intact?(policy: FirewallPolicy): Promise<boolean>;
  /**
   * Calls `changed` soon after something may have removed our rules (our own applies included);
   * returns a disposer. Optional: without it only the periodic `intact` check runs.
   */
  watch?(changed: () => void): () => void;
}
