/**
 * What an IKE session needs to know, already validated and resolved (profile paths read, secrets
 * fetched, proposals parsed). Built by the runtime from a Profile; the sans-I/O session never
 * touches files or the keychain.
 */
import type { Random } from './crypto/random.js';
import type { EcdhProvider } from './crypto/ecdh-provider.js';
import type { ModpProvider } from './crypto/modp-provider.js';
import type { CertificateProvider } from './crypto/certificate-provider.js';
import type { SignatureProvider } from './crypto/signature-provider.js';
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

/**
 * How we authenticate. With 'psk' the gateway proves itself with the same key; with 'cert' and
 * 'eap-mschapv2' the gateway must prove itself with a certificate chaining to `trustedCas`.
 */
export type IkeAuthConfig =
  | { method: 'psk'; secret: Uint8Array }
  | {
      method: 'cert';
      /** Our certificate chain (DER), end entity first, sent as CERT payloads. */
      certificates: Uint8Array[];
      privateKeyPem: string;
    }
  | { method: 'eap-mschapv2'; username: string; password: string };

export interface IkeSessionConfig {
  server: Endpoint;
  /** The local address and IKE port we send from (the runtime binds 500 and 4500 there). */
  local: Endpoint;
  /** The server's name as the user typed it, for diagnostics. */
  serverName: string;
  localId: IkeIdentity;
  remoteId: IkeIdentity | undefined;
  /**
   * Ask for `remoteId` in IKE_AUTH (the optional IDr payload); undefined means yes. Without it
   * the gateway answers with an identity of its choosing, which must still equal `remoteId`.
   */
  sendRemoteId?: boolean | undefined;
  auth: IkeAuthConfig;
  ikeProposals: ConfiguredProposal[];
  espProposals: ConfiguredProposal[];
  /** Proposal texts as configured (strongSwan syntax), for no-proposal-chosen diagnostics. */
  ikeProposalText: string[];
  espProposalText: string[];
  /** Remote traffic selectors we ask for (full tunnel: 0.0.0.0/0). */
  remoteTs: TrafficSelectorRange[];
  requestVirtualIp: boolean;
  /**
   * Dual stack inside the tunnel (as strongSwan and Android's IKE library do): the CP request also
   * asks for INTERNAL_IP6_ADDRESS and INTERNAL_IP6_DNS, and TSi carries ::/0 next to 0.0.0.0/0.
   * A gateway that assigns no IPv6 address is fine: the tunnel then stays IPv4-only. Undefined
   * means no (the runtime turns it on for full tunnels and IPv6 routes).
   */
  requestVirtualIp6?: boolean | undefined;
  mobike: boolean;
  /**
   * When the gateway stops answering, move the SA to one of its ADDITIONAL_*_ADDRESS addresses
   * (RFC 4555 §3.5) before giving up. The runtime must then follow the new remote address in
   * `update-child-sa-endpoints` (ESP peer, firewall allowance, route pinned outside the tunnel);
   * undefined means no. Tsunagi's runtime does not follow a remote change yet, so it leaves this
   * off, and a dead gateway is reported after the DPD budget alone.
   */
  moveToAdditionalAddresses?: boolean | undefined;
  fragmentation: boolean;
  /** Largest IKE datagram we send before fragmenting (RFC 7383). */
  fragmentSize: number;
  /** 0 disables DPD. */
  dpdDelayMs: number;
  /**
   * Lifetimes; we rekey at 80–90 % of them (with jitter). Undefined or 0: we never start rekeys.
   * They are also the hard limits (RFC 7296 §2.8): a Child SA whose rekey has not completed when
   * its lifetime runs out is deleted and created anew; an IKE SA is closed (the runtime
   * re-establishes).
   */
  ikeLifetimeMs?: number | undefined;
  childLifetimeMs?: number | undefined;
  /**
   * Soft lifetimes (strongSwan's rekey_time): we rekey at this time minus random(0…rekeyJitterMs)
   * (rand_time; default 10 % of the rekey time). Undefined: the 80–90 % of the lifetime above.
   */
  ikeRekeyMs?: number | undefined;
  childRekeyMs?: number | undefined;
  rekeyJitterMs?: number | undefined;
  retransmit: RetransmitPolicy;
  /** CA certificates (PEM text or DER) the gateway's certificate must chain to (cert and EAP). */
  trustedCas: (string | Uint8Array)[];
  random: Random;
  modp?: ModpProvider | undefined;
  /** ECP and Curve25519/448 key agreement (node:crypto in the helper); @noble/curves without it. */
  ecdh?: EcdhProvider | undefined;
  /** Follow RFC 5685 redirects (announced with REDIRECT_SUPPORTED); undefined means yes. */
  followRedirects?: boolean | undefined;
  /** This session follows a redirect from that gateway: sent as REDIRECTED_FROM. */
  redirectedFrom?: Endpoint | undefined;
  /** Times of the redirects followed before this session (loop protection). */
  redirects?: readonly number[] | undefined;
  /** Signatures and X.509 (node:crypto in the helper), needed for 'cert' and 'eap-mschapv2'. */
  pki?: (SignatureProvider & CertificateProvider) | undefined;
}
