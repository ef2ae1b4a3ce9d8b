/**
 * The sans-I/O boundary of an IKE session: `session.handle(input, now) → IkeOutput[]`.
 * Inputs are datagrams, timer expiries, roaming and commands; outputs are datagrams to send,
 * timers to arm or cancel, Child SAs to install or remove, the configuration to apply, timeline
 * events, and the close reason. The runtime (native-helper/tunnel) performs the outputs.
 */
import type { IkeError } from './ike-error.js';
import type { RedirectTarget } from './message/redirect-data.js';

export type { RedirectTarget } from './message/redirect-data.js';

export interface Endpoint {
  /** IPv4 dotted quad or IPv6 text. */
  address: string;
  port: number;
}

export type IkeTimer =
  | 'retransmit'
  | 'half-open'
  | 'dpd'
  | 'natt-keepalive'
  | 'rekey-ike'
  | 'rekey-child'
  | 'expire-ike'
  | 'expire-child'
  | 'delete-rekeyed';

export type IkeInput =
  | { type: 'start' }
  /** An IKE message (on port 4500 already stripped of the non-ESP marker). */
  | { type: 'datagram'; bytes: Uint8Array; from: Endpoint; to: Endpoint }
  | { type: 'timer'; timer: IkeTimer }
  /** The local path changed (new address, default route or interface): MOBIKE or re-establish. */
  | { type: 'roam'; local: Endpoint }
  /** Check liveness now (e.g. after a wake from sleep). */
  | { type: 'probe' }
  /** Ask for an orderly delete of the IKE SA. */
  | { type: 'close' }
  /**
   * The data plane asks for an early rekey of the Child SA it receives on with `spiIn` (its
   * outbound ESP sequence number nears the limit, or a byte/packet lifetime ran out). Ignored
   * while that Child SA is already being rekeyed; dropped (with a timeline 'dropped' event) when
   * no such Child SA exists.
   */
  | { type: 'rekey-child'; spiIn: number; reason: ChildRekeyReason };

/** Why the data plane asks for a Child SA rekey. */
export type ChildRekeyReason = 'seq-soft-limit' | 'lifetime';

export interface ChildSaKeys {
  /** Inbound SPI (ours, chosen by us) and outbound SPI (the peer's). */
  spiIn: number;
  spiOut: number;
  /** ESP transform: IANA ENCR id, key bits, INTEG id (0 for AEAD). */
  encr: number;
  encrKeyBits: number;
  integ: number;
  /** Key material per direction (AEAD keys include the 4-byte salt). */
  encrKeyIn: Uint8Array;
  integKeyIn: Uint8Array;
  encrKeyOut: Uint8Array;
  integKeyOut: Uint8Array;
  /** Traffic selectors as negotiated (narrowed by the responder). */
  tsLocal: TrafficSelectorRange[];
  tsRemote: TrafficSelectorRange[];
  /** Outer addresses: ESP always travels in UDP to the peer's 4500. */
  local: Endpoint;
  remote: Endpoint;
  /** The proposal in strongSwan syntax, e.g. "aes256gcm16". */
  proposal: string;
}

export interface TrafficSelectorRange {
  family: 4 | 6;
  protocol: number;
  startPort: number;
  endPort: number;
  startAddress: string;
  endAddress: string;
}

export interface TunnelConfig {
  /** INTERNAL_IP4_ADDRESS the gateway assigned. */
  virtualIp4?: string;
  /**
   * INTERNAL_IP6_ADDRESS the gateway assigned (only when we asked, with `requestVirtualIp6`);
   * absent when it gave none: IPv6 then does not run inside the tunnel.
   */
  virtualIp6?: string;
  /** The prefix length that came with `virtualIp6` (RFC 7296 §3.15.1; strongSwan sends 128). */
  virtualIp6Prefix?: number;
  /** INTERNAL_IP4_DNS, then INTERNAL_IP6_DNS. */
  dns: string[];
  /** INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET the gateway announced, CIDR text. */
  subnets: string[];
  tsLocal: TrafficSelectorRange[];
  tsRemote: TrafficSelectorRange[];
  /** Negotiated proposals in strongSwan syntax. */
  ike: string;
  esp: string;
  natDetected: { local: boolean; remote: boolean };
  peerSupportsMobike: boolean;
  server: Endpoint;
  local: Endpoint;
}

/** Timeline entries the CLI (--json) and the app show. */
export type IkeTimelineEvent =
  | { kind: 'ike-sa-init-sent'; to: Endpoint; attempt: number }
  | { kind: 'cookie-requested' }
  | { kind: 'invalid-ke'; group: number }
  | { kind: 'redirected'; to: string }
  | { kind: 'nat-detected'; local: boolean; remote: boolean; forced: boolean }
  | { kind: 'floated-to-natt' }
  | { kind: 'authenticated'; peer: string; method: string }
  | { kind: 'eap-round'; round: number }
  | { kind: 'established'; ike: string; esp: string; virtualIp4?: string; virtualIp6?: string }
  | { kind: 'child-rekeyed'; initiator: 'us' | 'peer'; spiIn: number }
  | { kind: 'ike-rekeyed'; initiator: 'us' | 'peer' }
  | { kind: 'mobike-update'; local: Endpoint }
  | { kind: 'dpd-sent' }
  | { kind: 'retransmit'; exchange: string; attempt: number }
  | { kind: 'peer-delete'; what: 'ike' | 'child' }
  | { kind: 'dropped'; reason: string };

export type IkeCloseReason =
  | { kind: 'deleted-by-us' }
  | { kind: 'deleted-by-peer' }
  | { kind: 'failed'; error: IkeError }
  /**
   * The gateway redirected us (RFC 5685): connect again to `to` — resolving it first when it is
   * a name — with `redirectedFrom: from` and `redirects` in the next session's configuration
   * (they carry REDIRECTED_FROM and the loop protection). The new gateway is still authenticated
   * against the configured remote identity.
   */
  | {
      kind: 'redirected';
      to: RedirectTarget;
      from: Endpoint;
      /** When the gateway said so: in IKE_SA_INIT, IKE_AUTH, or on the established SA. */
      stage: 'ike-sa-init' | 'ike-auth' | 'established';
      /** Times of the redirects followed so far, this one included (for the next session). */
      redirects: number[];
    };

export type IkeOutput =
  | { type: 'send'; bytes: Uint8Array; from: Endpoint; to: Endpoint; nonEspMarker: boolean }
  | { type: 'send-keepalive'; from: Endpoint; to: Endpoint }
  | { type: 'arm-timer'; timer: IkeTimer; at: number }
  | { type: 'cancel-timer'; timer: IkeTimer }
  | { type: 'install-child-sa'; sa: ChildSaKeys }
  | { type: 'remove-child-sa'; spiIn: number; spiOut: number }
  | { type: 'update-child-sa-endpoints'; local: Endpoint; remote: Endpoint }
  | { type: 'established'; config: TunnelConfig }
  | { type: 'event'; event: IkeTimelineEvent }
  | { type: 'closed'; reason: IkeCloseReason };
