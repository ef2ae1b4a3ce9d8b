/** The firewall a tunnel state drives: one policy at a time, replaced atomically. */
import type { FirewallPolicy } from './policy.js';

export interface Firewall {
  /** Replaces whatever Tsunagi had in the kernel with this policy, in one transaction. */
  apply(policy: FirewallPolicy): Promise<void>;
}
