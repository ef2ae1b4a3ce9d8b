/**
 * What an IKE session needs to know, already validated and resolved (profile paths read, secrets
 * fetched, proposals parsed). Built by the runtime from a Profile; the sans-I/O session never
 * touches files or the keychain.
 */
import type { Random } from './crypto/random.js';
import type { ModpProvider } from './crypto/modp-provider.js';
import type { Endpoint, TrafficSelectorRange } from './ike-events.js';
import type { RetransmitPolicy } from './retransmit.js';
import type { ConfiguredProposal } from './sa-negotiation.js';

export interface IkeIdentity {
  /** IKE ID type (RFC 7296 §3.5). */
  idType: number;
  data: Uint8Array;
  /** As the user wrote it, for messages. */
  text: string;
}

export type IkeAuthConfig = { method: 'psk'; secret: Uint8Array };

export interface IkeSessionConfig {
  server: Endpoint;
  /** The local address and IKE port we send from (the runtime binds 500 and 4500 there). */
  local: Endpoint;
  /** The server's name as the user typed it, for diagnostics. */
  serverName: string;
  localId: IkeIdentity;
  remoteId: IkeIdentity | undefined;
  auth: IkeAuthConfig;
  ikeProposals: ConfiguredProposal[];
  espProposals: ConfiguredProposal[];
  /** Proposal texts as configured (strongSwan syntax), for no-proposal-chosen diagnostics. */
  ikeProposalText: string[];
  espProposalText: string[];
  /** Remote traffic selectors we ask for (full tunnel: 0.0.0.0/0). */
  remoteTs: TrafficSelectorRange[];
  requestVirtualIp: boolean;
  mobike: boolean;
  fragmentation: boolean;
  /** Largest IKE datagram we send before fragmenting (RFC 7383). */
  fragmentSize: number;
  /** 0 disables DPD. */
  dpdDelayMs: number;
  retransmit: RetransmitPolicy;
  random: Random;
  modp?: ModpProvider | undefined;
}
