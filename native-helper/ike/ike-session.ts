/**
 * One IKEv2 SA from the initiator's side, sans-I/O: `handle(input, now) → IkeOutput[]`.
 *
 *   IKE_SA_INIT  HDR, SAi1, KEi, Ni, N(NAT_D_S), N(NAT_D_D), N(FRAG_SUP)  -->
 *                <--  HDR, SAr1, KEr, Nr, N(NAT_D_S), N(NAT_D_D), [CERTREQ], [N(FRAG_SUP)]
 *                (or N(COOKIE) / N(INVALID_KE_PAYLOAD): restart, bounded, only to offered groups)
 *   IKE_AUTH     HDR, SK{IDi, N(INITIAL_CONTACT), [IDr], AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr,
 *                        [N(MOBIKE_SUPPORTED)]}  -->          (from port 4500 with the non-ESP marker)
 *                <--  HDR, SK{IDr, AUTH, CP(CFG_REPLY), SAr2, TSi, TSr, [N(MOBIKE_SUPPORTED)]}
 *
 * After that it keeps the SA alive (DPD, NAT keepalives) and answers the responder's requests:
 * liveness checks, deletes, Child and IKE SA rekeys (crossing rekeys resolved by the lowest nonce,
 * RFC 7296 §2.8.1), MOBIKE return-routability checks, redirects (RFC 5685: the session then ends
 * with the close reason 'redirected' and the runner connects to the new gateway). It rekeys on its
 * lifetimes or when the data plane asks ('rekey-child') and, when a rekey has not completed by the
 * hard lifetime, deletes the SA ('expire-child': a new Child SA follows; 'expire-ike': closed with
 * sa-expired). It moves with MOBIKE ('roam', COOKIE2, the gateway's additional addresses as
 * fall-backs). CP asks for IPv4 and, with requestVirtualIp6, IPv6 too (dual stack). Randomness and the clock come from outside; the
 * runtime performs the outputs. Only messages whose ICV verified may change state; a datagram that
 * fails to decode or authenticate is dropped and reported as a timeline 'dropped' event. An
 * IKE_SA_INIT answer cannot be authenticated: a refusal in it is only remembered (RFC 7296
 * §2.21.1, see rejectInit) while we wait for a genuine one. An authenticated but malformed
 * request is answered with an error notify; such a response to ours ends the SA (§2.21).
 */
import {
  NATT_KEEPALIVE_INTERVAL_MS,
  NATT_PORT,
  NONCE_LENGTH,
  MAX_IKE_INIT_RETRIES,
  MAX_EAP_ROUNDS,
} from '../constants.js';
import { concat, constantTimeEqual, zeroise } from './crypto/hash.js';
import type { KeyExchange } from './crypto/ke.js';
import { createKeyExchange, isSupportedKeGroup } from './crypto/ke.js';
import {
  CERT_ENCODING_X509_SIGNATURE,
  certificateRequestData,
  validateServerCertificate,
} from './crypto/certificate.js';
import { EapMschapv2Client } from './crypto/eap-mschapv2.js';
import type { Identity } from './crypto/identity.js';
import { SUPPORTED_SIGNATURE_HASHES, signAuth, verifyAuth } from './crypto/signature.js';
import { decodeEapPayload, EapCode, EapType, encodeEapPayload } from './message/eap-payload.js';
import { deriveChildSaKeys } from './crypto/keymat.js';
import { pskAuth } from './crypto/auth.js';
import { natDetectionHash } from './crypto/nat-detection.js';
import { createIkeSaState, type IkeSaState } from './ike-sa-state.js';
import { prf } from './crypto/prf.js';
import { ikeErrorMessage, type IkeError } from './ike-error.js';
import type {
  ChildSaKeys,
  Endpoint,
  IkeCloseReason,
  IkeInput,
  IkeOutput,
  IkeTimelineEvent,
  IkeTimer,
  TunnelConfig,
} from './ike-events.js';
import type { IkeSessionConfig } from './ike-session-config.js';
import { ExchangeType, exchangeTypeName } from './message/exchange-type.js';
import type { IkeMessage } from './message/message.js';
import { decodeHeader, decodeMessage, encodeFragments, encodeMessage } from './message/message.js';
import type { IkeSyntaxError } from './message/codec.js';
import { NotifyErrorType, NotifyStatusType } from './message/notify-types.js';
import type { Payload } from './message/payload.js';
import { payloadsOf } from './message/payload.js';
import { PayloadType, ProtocolId } from './message/payload-type.js';
import type { Proposal as SaProposal } from './message/sa-payload.js';
import { TransformType } from './message/sa-payload.js';
import type { IdPayload } from './message/id-payload.js';
import type { TrafficSelector, TsPayload } from './message/ts-payload.js';
import { CfgType, CpAttributeType } from './message/cp-payload.js';
import { retransmitDelay } from './retransmit.js';
import {
  decodeRedirectData,
  describeRedirectTarget,
  encodeRedirectData,
  redirectTargetOf,
  type RedirectTarget,
} from './message/redirect-data.js';
import type { NegotiatedAlgorithms } from './sa-negotiation.js';
import {
  buildSaProposals,
  checkSelectedProposal,
  describeProposal,
  describeSaProposal,
  offeredGroups,
} from './sa-negotiation.js';
import {
  addressInSelector,
  bytesToIp,
  narrowedWithin,
  rangeToSelector,
  selectorToRange,
  ANY_IPV4,
  ANY_IPV6,
} from './traffic-selectors.js';

const NON_ESP_MARKER_LENGTH = 4;

type Phase = 'idle' | 'ike-sa-init' | 'ike-auth' | 'established' | 'deleting' | 'closed';

interface InFlight {
  exchange: number;
  messageId: number;
  datagrams: Uint8Array[];
  attempt: number;
  /** When the first send happened, for diagnostics. */
  firstSentAt: number;
  /** Stage name for peer-unreachable diagnostics. */
  stage: string;
  /** Returns false when it dropped the response: the request then stays outstanding. */
  onResponse: (msg: IkeMessage, raw: Uint8Array, now: number) => boolean | void;
  /** The IKE SA it was sent on (none for IKE_SA_INIT). */
  sa: IkeSaState | undefined;
}

interface ChildSaState {
  keys: ChildSaKeys;
  /**
   * The selectors as negotiated, before `sameFamilyPairs` (keys.ts* are the usable ones): what a
   * rekey by the gateway is checked against, so its own view of the SA (e.g. ::/0 in its TSi
   * without an IPv6 address of ours) is no reason to refuse it.
   */
  negotiated: { local: TrafficSelector[]; remote: TrafficSelector[] };
  /** Its hard lifetime (childLifetimeMs after it was installed); undefined without one. */
  expiresAt?: number;
  /** A rekey of this Child SA is queued or in flight (one at a time). */
  rekeying?: boolean;
  /** Replaced by a rekey; only its delete is left. */
  rekeyed?: boolean;
  /**
   * The peer's rekey of this SA that crossed ours (RFC 7296 §2.8.1): its nonces and the SA it
   * created, until our own rekey's answer tells which of the two new SAs is redundant.
   */
  crossed?: { nonces: Uint8Array[]; child: ChildSaState };
}

/** After TEMPORARY_FAILURE, retry in RETRY_INTERVAL − random(RETRY_JITTER) (strongSwan: 15 s, 10 s). */
const REKEY_RETRY_INTERVAL_MS = 15_000;
const REKEY_RETRY_JITTER_MS = 10_000;
/** Redirect loop protection (strongSwan: charon.max_redirects = 5 within 300 s). */
const MAX_REDIRECTS = 5;
const REDIRECT_LOOP_WINDOW_MS = 300_000;
/** Old and redundant IKE SAs kept to finish their deletes; more than this is a misbehaving peer. */
const MAX_OTHER_IKE_SAS = 3;
/** The gateway's ADDITIONAL_*_ADDRESS list we keep (RFC 4555 §3.6), as MOBIKE fall-back targets. */
const MAX_PEER_ADDITIONAL_ADDRESSES = 8;
/** COOKIE2 length (RFC 4555 §3.5: 8 to 64 octets). */
const COOKIE2_LENGTH = 16;
/** The same unauthenticated IKE_SA_INIT refusal on this many transmissions ends the attempt. */
const INIT_SAME_REFUSAL_LIMIT = 2;

export class IkeSession {
  private phase: Phase = 'idle';
  /** The `now` of the input being handled (for paths that end the SA without one). */
  private clock = 0;
  private readonly out: IkeOutput[] = [];
  private inFlight: InFlight | undefined;
  /** Requests waiting for the one in flight; `key` keeps repeats (probe spam, roams) to one entry. */
  private readonly queue: { key: string | undefined; run: (now: number) => void }[] = [];

  // IKE_SA_INIT state
  private readonly spiI: Uint8Array;
  private readonly nonceI: Uint8Array;
  private ke: KeyExchange | undefined;
  private keGroup: number;
  private cookie: Uint8Array | undefined;
  private initRetries = 0;
  /** IKE_SA_INIT requests sent so far (first sends, retransmissions and restarts). */
  private initTransmissions = 0;
  /** The last unusable IKE_SA_INIT answer and which transmissions it answered (rejectInit). */
  private initRejection: { key: string; error: IkeError; transmissions: Set<number> } | undefined;
  private sentSaProposals: SaProposal[] = [];
  private initRequestBytes: Uint8Array | undefined;
  private peerFragmentation = false;
  private natLocal = false;
  private natRemote = false;

  // IKE_AUTH state
  private childSpiIn: Uint8Array;
  private sentChildProposals: SaProposal[] = [];
  /** 0.0.0.0/0, and ::/0 when we ask for an IPv6 address too (the gateway narrows to ours). */
  private readonly sentTsi: TrafficSelector[];
  private readonly sentTsr: TrafficSelector[];
  private idiBody: Uint8Array | undefined;

  private ike: IkeSaState | undefined;
  private children: ChildSaState[] = [];
  private local: Endpoint;
  private remote: Endpoint;
  private floated = false;
  private peerMobike = false;
  private tunnelConfig: TunnelConfig | undefined;
  private lastInbound = 0;
  /**
   * IKE SAs that are no longer current but still finish an exchange: the one replaced by a rekey
   * until its DELETE is done, and the redundant one of a rekey collision until its creator deletes it.
   */
  private others: IkeSaState[] = [];
  /** Our IKE SA rekey while it is in flight, and the peer's rekey that crossed it (§2.8.1). */
  private ikeRekeyInFlight = false;
  private crossedIkeRekey: { next: IkeSaState; nonces: Uint8Array[] } | undefined;
  /** The Child SA our CREATE_CHILD_SA in flight rekeys. */
  private childRekeyInFlight: ChildSaState | undefined;

  constructor(private readonly config: IkeSessionConfig) {
    const r = config.random;
    this.spiI = nonZero(r, 8);
    this.nonceI = r.bytes(NONCE_LENGTH);
    this.childSpiIn = nonZero(r, 4);
    this.sentTsr = config.remoteTs.map(rangeToSelector);
    this.sentTsi = [ANY_IPV4, ...(config.requestVirtualIp6 ? [ANY_IPV6] : [])].map(rangeToSelector);
    const first = config.ikeProposals[0]?.ke[0];
    if (first === undefined) throw new Error('no key exchange group configured');
    this.keGroup = first;
    this.local = config.local;
    this.remote = config.server;
  }

  get state(): Phase {
    return this.phase;
  }

  /** Feeds one input; returns what the runtime must do, in order. */
  handle(input: IkeInput, now: number): IkeOutput[] {
    this.clock = now;
    if (this.phase === 'closed') return [];
    switch (input.type) {
      case 'start':
        if (this.phase === 'idle') this.start(now);
        break;
      case 'datagram':
        this.onDatagram(input.bytes, input.from, now);
        break;
      case 'timer':
        this.onTimer(input.timer, now);
        break;
      case 'probe':
        if (this.phase === 'established') this.enqueue((t) => this.sendDpd(t), now, 'dpd');
        break;
      case 'roam':
        this.roam(input.local, now);
        break;
      case 'close':
        this.startDelete(now);
        break;
      case 'rekey-child':
        this.requestChildRekey(input.spiIn, input.reason, now);
        break;
    }
    return this.out.splice(0);
  }

  /** What the session holds right now (all of it bounded), for diagnostics and tests. */
  get footprint(): {
    queued: number;
    children: number;
    ikeSas: number;
    fragmentsHeld: number;
  } {
    const sas = [this.ike, ...this.others, this.crossedIkeRekey?.next].filter(
      (x): x is IkeSaState => x !== undefined,
    );
    return {
      queued: this.queue.length,
      children: this.children.length,
      ikeSas: sas.length,
      fragmentsHeld: sas.reduce((n, sa) => n + sa.reassembler.held, 0),
    };
  }

  /** Inbound ESP traffic proves liveness too (called by the runtime, at most every few seconds). */
  noteInboundTraffic(now: number): void {
    this.lastInbound = Math.max(this.lastInbound, now);
  }

  // ── IKE_SA_INIT ──────────────────────────────────────────────────────────────────────────

  private start(now: number): void {
    // A certificate proves a name, not "some gateway": without the identity to hold it against,
    // any certificate from a trusted CA would do — any customer of a public CA could answer.
    // (With a PSK the key itself identifies the gateway, so there it stays optional.)
    if (this.config.auth.method !== 'psk' && !this.config.remoteId)
      return this.fail({
        code: 'config-invalid',
        field: 'remoteId',
        detail: `${this.config.auth.method === 'cert' ? 'certificate' : 'EAP'} authentication checks the gateway certificate against the gateway's identity; set "remoteId" to the name in its certificate (e.g. ${this.config.serverName})`,
      });
    this.startIkeSaInit(now);
  }

  private startIkeSaInit(now: number): void {
    this.phase = 'ike-sa-init';
    // RFC 7296 §2.6: after a COOKIE every other payload stays the same, so the KE is kept unless
    // the group changed (INVALID_KE_PAYLOAD).
    if (!this.ke || this.ke.group !== this.keGroup) this.ke = this.createKe(this.keGroup);
    if (!this.ke) return;
    const payloads: Payload[] = [];
    if (this.cookie) payloads.push(notify(NotifyStatusType.COOKIE, this.cookie));
    this.sentSaProposals = buildSaProposals(
      this.config.ikeProposals,
      ProtocolId.IKE,
      new Uint8Array(0),
      { withKe: true },
    );
    payloads.push(
      { type: PayloadType.SA, proposals: this.sentSaProposals },
      { type: PayloadType.KE, group: this.keGroup, data: this.ke.publicValue },
      { type: PayloadType.NONCE, nonce: this.nonceI },
      // Forced UDP encapsulation (our ESP lives in userspace): hash a random source address so
      // the responder sees a NAT and uses ESP-in-UDP, as strongSwan's `encap = yes` does.
      notify(
        NotifyStatusType.NAT_DETECTION_SOURCE_IP,
        natDetectionHash(this.spiI, ZERO_SPI, this.fakeSourceAddress(), this.local.port),
      ),
      notify(
        NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
        natDetectionHash(this.spiI, ZERO_SPI, this.remote.address, this.remote.port),
      ),
    );
    if (this.config.fragmentation)
      payloads.push(notify(NotifyStatusType.FRAGMENTATION_SUPPORTED, new Uint8Array(0)));
    // RFC 5685 §4: after a redirect, REDIRECTED_FROM names the gateway that sent us here
    // (and stands for REDIRECT_SUPPORTED, as strongSwan sends it).
    if (this.config.followRedirects !== false) {
      const from = this.config.redirectedFrom;
      payloads.push(
        from
          ? notify(
              NotifyStatusType.REDIRECTED_FROM,
              encodeRedirectData({
                target: redirectTargetOf(from.address),
                nonce: new Uint8Array(0),
              }),
            )
          : notify(NotifyStatusType.REDIRECT_SUPPORTED, new Uint8Array(0)),
      );
    }
    if (this.config.auth.method !== 'psk')
      // RFC 7427 §4: the hashes we verify, so a certificate gateway signs with method 14.
      payloads.push(
        notify(NotifyStatusType.SIGNATURE_HASH_ALGORITHMS, u16List(SUPPORTED_SIGNATURE_HASHES)),
      );
    const msg: IkeMessage = {
      spiI: this.spiI,
      spiR: ZERO_SPI,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: true,
      response: false,
      higherVersion: false,
      messageId: 0,
      payloads,
      encrypted: false,
    };
    const bytes = encodeMessage(msg);
    this.initRequestBytes = bytes;
    this.initTransmissions++;
    this.event({ kind: 'ike-sa-init-sent', to: this.remote, attempt: this.initRetries });
    this.sendRequest(now, {
      sa: undefined,
      exchange: ExchangeType.IKE_SA_INIT,
      messageId: 0,
      datagrams: [bytes],
      stage: 'IKE_SA_INIT',
      onResponse: (m, raw, t) => this.onIkeSaInitResponse(m, raw, t),
    });
  }

  private fakeNatAddress: string | undefined;

  /** One random address per session for the faked NAT_DETECTION_SOURCE_IP (forced encapsulation). */
  private fakeSourceAddress(): string {
    this.fakeNatAddress ??= randomIpv4(this.config);
    return this.fakeNatAddress;
  }

  private createKe(group: number): KeyExchange | undefined {
    try {
      return createKeyExchange(group, {
        random: this.config.random,
        modp: this.config.modp,
        ecdh: this.config.ecdh,
      });
    } catch (e) {
      this.fail({ code: 'config-invalid', field: 'ike', detail: (e as Error).message });
      return undefined;
    }
  }

  private onIkeSaInitResponse(msg: IkeMessage, raw: Uint8Array, now: number): boolean | void {
    const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
    const cookie = notifies.find((n) => n.notifyType === NotifyStatusType.COOKIE);
    if (cookie) {
      if (cookie.data.length < 1 || cookie.data.length > 64)
        return (this.dropped('COOKIE of invalid length'), false);
      if (this.cookie && constantTimeEqual(this.cookie, cookie.data))
        return (this.dropped('repeated identical COOKIE'), false);
      if (!this.bumpInitRetries('COOKIE')) return;
      this.cookie = cookie.data;
      this.event({ kind: 'cookie-requested' });
      this.clearInFlight();
      return this.startIkeSaInit(now);
    }
    const invalidKe = notifies.find((n) => n.notifyType === NotifyErrorType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      const group =
        invalidKe.data.length === 2 ? (invalidKe.data[0]! << 8) | invalidKe.data[1]! : -1;
      // Downgrade protection: only groups we offered ourselves (SAi1 is covered by AUTH).
      if (!offeredGroups(this.config.ikeProposals).includes(group) || group === this.keGroup)
        return this.rejectInit({
          code: 'invalid-ke',
          detail: `the gateway asked for group ${group}, which we did not offer`,
        });
      if (!this.bumpInitRetries('INVALID_KE_PAYLOAD')) return;
      this.event({ kind: 'invalid-ke', group });
      this.keGroup = group;
      this.cookie = undefined; // RFC 7296 §2.6: restart without the old cookie
      this.clearInFlight();
      return this.startIkeSaInit(now);
    }
    const redirect = notifies.find((n) => n.notifyType === NotifyStatusType.REDIRECT);
    if (redirect) {
      // Unauthenticated: only with our Ni echoed (RFC 5685 §4.2), so an off-path attacker
      // cannot send us elsewhere; anything else is dropped and we keep waiting.
      let target: RedirectTarget;
      try {
        const r = decodeRedirectData(redirect.data);
        if (!constantTimeEqual(r.nonce, this.nonceI))
          return (this.dropped('REDIRECT without our nonce'), false);
        target = r.target;
      } catch (e) {
        return (this.dropped(`malformed REDIRECT (${(e as Error).message})`), false);
      }
      return this.followRedirect(target, 'ike-sa-init', now);
    }
    const error = notifies.find((n) => n.notifyType < 16384);
    if (error) {
      if (error.notifyType === NotifyErrorType.NO_PROPOSAL_CHOSEN)
        return this.rejectInit({
          code: 'no-proposal-chosen',
          stage: 'ike',
          offered: this.config.ikeProposalText,
        });
      return this.rejectInit({
        code: 'invalid-syntax',
        detail: `the gateway answered IKE_SA_INIT with error notify ${error.notifyType}`,
      });
    }
    if (msg.spiR.every((b) => b === 0))
      return (this.dropped('IKE_SA_INIT response with a zero responder SPI'), false);

    const [sa] = payloadsOf(msg.payloads, PayloadType.SA);
    const [ker] = payloadsOf(msg.payloads, PayloadType.KE);
    const [nr] = payloadsOf(msg.payloads, PayloadType.NONCE);
    if (!sa || !ker || !nr)
      return this.rejectInit({
        code: 'invalid-syntax',
        detail: 'IKE_SA_INIT response without SA, KE or Nonce',
      });
    const sel = checkSelectedProposal(this.sentSaProposals, sa.proposals, 0);
    if (!sel.ok) {
      const peer = sa.proposals.map((p) => describeSaProposal(p, 'ike'));
      return this.rejectInit(
        {
          code: 'no-proposal-chosen',
          stage: 'ike',
          offered: this.config.ikeProposalText,
          ...(peer.length ? { peer } : {}),
        },
        sel.reason,
      );
    }
    const alg = sel.algorithms;
    if (alg.ke !== this.keGroup || ker.group !== this.keGroup || alg.prf === undefined)
      return this.rejectInit({
        code: 'invalid-ke',
        detail: `we sent KE for group ${this.keGroup}; the gateway chose group ${alg.ke} and sent KE for ${ker.group}`,
      });
    const shared = this.ke!.computeSharedSecret(ker.data);
    if (!shared.ok) return this.rejectInit({ code: 'invalid-ke', detail: shared.message });

    // Keys (RFC 7296 §2.14)
    this.ike = createIkeSaState({
      algorithms: alg,
      nonceI: this.nonceI,
      nonceR: nr.nonce,
      spiI: this.spiI,
      spiR: msg.spiR,
      sharedSecret: shared.sharedSecret,
      weAreInitiator: true,
      random: this.config.random,
    });
    this.ike.nextRequestId = 1; // IKE_SA_INIT used message ID 0
    zeroise(shared.sharedSecret);
    this.nonceR = nr.nonce;
    this.initResponseBytes = raw;
    this.peerFragmentation = notifies.some(
      (n) => n.notifyType === NotifyStatusType.FRAGMENTATION_SUPPORTED,
    );
    const hashes = notifies.find(
      (n) => n.notifyType === NotifyStatusType.SIGNATURE_HASH_ALGORITHMS,
    );
    this.peerHashAlgorithms = hashes ? readU16List(hashes.data) : [];

    // NAT detection (RFC 7296 §2.23): their source hash vs where it came from; their destination
    // hash vs our address. We always float to 4500: our ESP is UDP-encapsulated in any case.
    const nat = detectNat(notifies, this.spiI, msg.spiR, this.local, this.remote);
    if (nat) {
      this.natLocal = nat.local;
      this.natRemote = nat.remote;
    }
    this.event({
      kind: 'nat-detected',
      local: this.natLocal,
      remote: this.natRemote,
      forced: true,
    });
    this.clearInFlight();
    this.floatToNatt();
    this.startIkeAuth(now);
  }

  private nonceR: Uint8Array | undefined;
  private initResponseBytes: Uint8Array | undefined;

  private bumpInitRetries(why: string): boolean {
    this.initRetries++;
    if (this.initRetries > MAX_IKE_INIT_RETRIES) {
      this.fail({
        code: 'too-many-retries',
        detail: `IKE_SA_INIT restarted ${MAX_IKE_INIT_RETRIES} times (last: ${why})`,
      });
      return false;
    }
    return true;
  }

  /**
   * An IKE_SA_INIT answer we cannot use. It is unauthenticated, so anyone who saw our request can
   * forge it (RFC 7296 §2.21.1): it is remembered as the diagnosis and we keep waiting (and
   * retransmitting) for a genuine answer, which still establishes. We give up with it when the
   * retransmission budget runs out — or earlier, when the same refusal answers
   * INIT_SAME_REFUSAL_LIMIT different transmissions of our request: that is a real gateway
   * saying no (strongSwan answers every retransmission alike), and waiting the whole budget
   * (165 s by default) for it would only keep the user waiting. A forger must then also keep
   * the genuine answer from us across a retransmission — the power to drop it, which ends the
   * attempt anyway. Returns false (keep the request outstanding) unless the session failed.
   */
  private rejectInit(error: IkeError, detail?: string): false | undefined {
    const key = JSON.stringify(error);
    const r =
      this.initRejection?.key === key
        ? this.initRejection
        : { key, error, transmissions: new Set<number>() };
    r.transmissions.add(this.initTransmissions);
    this.initRejection = r;
    if (r.transmissions.size >= INIT_SAME_REFUSAL_LIMIT) {
      this.fail(error);
      return undefined;
    }
    this.dropped(
      `unauthenticated IKE_SA_INIT answer: ${error.code} (${detail ?? ikeErrorMessage(error)}); waiting for a genuine answer`,
    );
    return false;
  }

  private floatToNatt(): void {
    if (this.floated) return;
    this.floated = true;
    this.local = { ...this.local, port: NATT_PORT };
    this.remote = { ...this.remote, port: NATT_PORT };
    this.event({ kind: 'floated-to-natt' });
  }

  // ── IKE_AUTH ─────────────────────────────────────────────────────────────────────────────
  //
  //   PSK   HDR, SK{IDi, N(INITIAL_CONTACT), IDr, AUTH(psk), CP, SAi2, TSi, TSr}  -->
  //         <--  HDR, SK{IDr, AUTH(psk), CP, SAr2, TSi, TSr}
  //   cert  HDR, SK{IDi, CERT, N(INITIAL_CONTACT), CERTREQ, IDr, AUTH(sig), CP, SAi2, TSi, TSr}  -->
  //         <--  HDR, SK{IDr, CERT, AUTH(sig), CP, SAr2, TSi, TSr}
  //   EAP   HDR, SK{IDi, N(INITIAL_CONTACT), CERTREQ, IDr, CP, SAi2, TSi, TSr}  -->   (no AUTH)
  //         <--  HDR, SK{IDr, CERT, AUTH(sig), EAP(Request)}     (the gateway proves itself first)
  //         HDR, SK{EAP(Response)}  -->  …  <--  HDR, SK{EAP(Success)}
  //         HDR, SK{AUTH(MSK)}  -->   <--  HDR, SK{AUTH(MSK), CP, SAr2, TSi, TSr}

  private peerHashAlgorithms: number[] = [];
  private eap: EapMschapv2Client | undefined;
  private eapRounds = 0;

  private startIkeAuth(now: number): void {
    this.phase = 'ike-auth';
    const ike = this.ike!;
    const cfg = this.config;
    const auth = cfg.auth;
    this.idiBody = idBody(cfg.localId.idType, cfg.localId.data);
    const payloads: Payload[] = [
      { type: PayloadType.IDI, idType: cfg.localId.idType, data: cfg.localId.data },
    ];
    if (auth.method === 'cert')
      for (const der of auth.certificates)
        payloads.push({
          type: PayloadType.CERT,
          encoding: CERT_ENCODING_X509_SIGNATURE,
          data: der,
        });
    payloads.push(notify(NotifyStatusType.INITIAL_CONTACT, new Uint8Array(0)));
    if (auth.method !== 'psk' && cfg.trustedCas.length)
      payloads.push({
        type: PayloadType.CERTREQ,
        encoding: CERT_ENCODING_X509_SIGNATURE,
        authority: certificateRequestData(cfg.trustedCas),
      });
    if (cfg.remoteId && cfg.sendRemoteId !== false)
      payloads.push({
        type: PayloadType.IDR,
        idType: cfg.remoteId.idType,
        data: cfg.remoteId.data,
      });

    const octets = concat(
      this.initRequestBytes!,
      this.nonceR!,
      prf(ike.algorithms.prf!, ike.keys.skPi, this.idiBody),
    );
    if (auth.method === 'psk') {
      payloads.push({
        type: PayloadType.AUTH,
        method: 2,
        data: pskAuth(ike.algorithms.prf!, auth.secret, octets),
      });
    } else if (auth.method === 'cert') {
      const signed = signAuth(
        this.pki(),
        auth.privateKeyPem,
        'auto',
        octets,
        this.peerHashAlgorithms,
      );
      if (!signed.ok)
        return this.fail({
          code: 'config-invalid',
          field: 'auth.privateKey',
          detail: signed.error.message,
        });
      payloads.push({ type: PayloadType.AUTH, method: signed.method, data: signed.authData });
    } else {
      this.eap = new EapMschapv2Client({
        identity: auth.username,
        password: auth.password,
        random: cfg.random,
      });
    }
    if (cfg.requestVirtualIp)
      payloads.push({
        type: PayloadType.CP,
        cfgType: CfgType.REQUEST,
        attributes: [
          { attributeType: CpAttributeType.INTERNAL_IP4_ADDRESS, value: new Uint8Array(0) },
          { attributeType: CpAttributeType.INTERNAL_IP4_DNS, value: new Uint8Array(0) },
          // the networks behind the gateway, if it says (split tunnels; RFC 7296 §3.15.1)
          { attributeType: CpAttributeType.INTERNAL_IP4_SUBNET, value: new Uint8Array(0) },
          ...(cfg.requestVirtualIp6
            ? [
                { attributeType: CpAttributeType.INTERNAL_IP6_ADDRESS, value: new Uint8Array(0) },
                { attributeType: CpAttributeType.INTERNAL_IP6_DNS, value: new Uint8Array(0) },
              ]
            : []),
        ],
      });
    this.sentChildProposals = buildSaProposals(cfg.espProposals, ProtocolId.ESP, this.childSpiIn, {
      withKe: false,
    });
    payloads.push(
      { type: PayloadType.SA, proposals: this.sentChildProposals },
      { type: PayloadType.TSI, selectors: this.sentTsi },
      { type: PayloadType.TSR, selectors: this.sentTsr },
    );
    if (cfg.mobike) payloads.push(notify(NotifyStatusType.MOBIKE_SUPPORTED, new Uint8Array(0)));
    this.sendProtected(now, ExchangeType.IKE_AUTH, payloads, 'IKE_AUTH', (m, _raw, t) =>
      this.onIkeAuthResponse(m, t),
    );
  }

  private pki(): NonNullable<IkeSessionConfig['pki']> {
    if (!this.config.pki) throw new Error('certificate or EAP authentication needs a PKI provider');
    return this.config.pki;
  }

  /** The responder's signed octets (RFC 7296 §2.15): RealMessage2 | Ni | prf(SK_pr, IDr'). */
  private responderOctets(idr: IdPayload): Uint8Array {
    const ike = this.ike!;
    return concat(
      this.initResponseBytes!,
      this.nonceI,
      prf(ike.algorithms.prf!, ike.keys.skPr, idBody(idr.idType, idr.data)),
    );
  }

  private onIkeAuthResponse(msg: IkeMessage, now: number): void {
    const cfg = this.config;
    const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
    if (notifies.some((n) => n.notifyType === NotifyErrorType.AUTHENTICATION_FAILED))
      return this.fail({
        code: 'authentication-failed',
        by: 'peer',
        // strongSwan answers the same when it has no configuration for the identity we asked for
        detail:
          cfg.remoteId && cfg.sendRemoteId !== false
            ? `AUTHENTICATION_FAILED; it may also not be known as "${cfg.remoteId.text}", the remote identity we asked for`
            : 'AUTHENTICATION_FAILED',
      });
    const idr = findId(msg.payloads, PayloadType.IDR);
    const [auth] = payloadsOf(msg.payloads, PayloadType.AUTH);
    if (!idr || !auth) {
      const err = notifies.find((n) => n.notifyType < 16384);
      // RFC 7296 §2.16: the gateway proves itself (AUTH) before EAP; EAP alone is never enough
      const eapFirst = payloadsOf(msg.payloads, PayloadType.EAP).length > 0;
      return this.fail({
        code: 'invalid-syntax',
        detail: err
          ? `IKE_AUTH answered with error notify ${err.notifyType}`
          : eapFirst
            ? 'the gateway started EAP without proving its identity first (no AUTH payload)'
            : 'IKE_AUTH response without IDr or AUTH',
      });
    }
    // 1. The responder's identity, before anything it says is trusted.
    if (
      cfg.remoteId &&
      (idr.idType !== cfg.remoteId.idType || !constantTimeEqual(idr.data, cfg.remoteId.data))
    ) {
      // as for an AUTH that does not verify: the gateway thinks the SA is up, tell it (§2.21.2)
      this.sendInformationalNotify(NotifyErrorType.AUTHENTICATION_FAILED);
      return this.fail({
        code: 'identity-mismatch',
        expected: cfg.remoteId.text,
        received: formatId(idr.idType, idr.data),
        where: 'IDr',
      });
    }
    const octets = this.responderOctets(idr);

    // 2. Its AUTH: the pre-shared key, or a signature by a certificate chaining to our CAs.
    if (cfg.auth.method === 'psk') {
      if (auth.method !== 2) {
        this.sendInformationalNotify(NotifyErrorType.AUTHENTICATION_FAILED);
        return this.fail({
          code: 'authentication-failed',
          by: 'us',
          detail: `the gateway used AUTH method ${auth.method}, we expect a pre-shared key`,
        });
      }
      if (
        !constantTimeEqual(pskAuth(this.ike!.algorithms.prf!, cfg.auth.secret, octets), auth.data)
      ) {
        this.sendInformationalNotify(NotifyErrorType.AUTHENTICATION_FAILED);
        return this.fail({
          code: 'authentication-failed',
          by: 'us',
          detail: 'its AUTH payload does not match the pre-shared key',
        });
      }
    } else {
      const error = this.verifyServerCertificateAuth(msg, idr, auth.method, auth.data, octets, now);
      if (error) {
        this.sendInformationalNotify(NotifyErrorType.AUTHENTICATION_FAILED);
        return this.fail(error);
      }
    }
    this.authenticatedIdr = idr;
    this.event({
      kind: 'authenticated',
      peer: formatId(idr.idType, idr.data),
      method: cfg.auth.method === 'psk' ? 'psk' : 'certificate',
    });
    this.lastInbound = now;
    if (this.redirectedInAuth(msg, now)) return;
    if (cfg.auth.method === 'eap-mschapv2') return this.onEap(msg, now);
    this.completeAuth(msg, now);
  }

  /**
   * REDIRECT in an authenticated IKE_AUTH response (RFC 5685 §6): delete this IKE SA (the gateway
   * does not wait for it, so neither do we) and connect to the new gateway.
   */
  private redirectedInAuth(msg: IkeMessage, now: number): boolean {
    const redirect = payloadsOf(msg.payloads, PayloadType.NOTIFY).find(
      (n) => n.notifyType === NotifyStatusType.REDIRECT,
    );
    if (!redirect) return false;
    let target: RedirectTarget;
    try {
      target = decodeRedirectData(redirect.data).target;
    } catch (e) {
      this.fail({ code: 'invalid-syntax', detail: `malformed REDIRECT (${(e as Error).message})` });
      return true;
    }
    const ike = this.ike!;
    const del = this.protectedMessage(ike, ExchangeType.INFORMATIONAL, ike.nextRequestId++, false, [
      { type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spis: [] },
    ]);
    this.clearInFlight();
    for (const d of this.encode(ike, del)) this.sendDatagram(d);
    this.followRedirect(target, 'ike-auth', now);
    return true;
  }

  /** Ends this session with 'redirected' (the runner connects to the target), loops bounded. */
  private followRedirect(
    target: RedirectTarget,
    stage: 'ike-sa-init' | 'ike-auth' | 'established',
    now: number,
  ): void {
    const to = describeRedirectTarget(target);
    if (this.config.followRedirects === false)
      return this.fail({
        code: 'invalid-syntax',
        detail: `the gateway redirected us to ${to}, and following redirects is turned off`,
      });
    const redirects = [...(this.config.redirects ?? []), now].filter(
      (t) => now - t < REDIRECT_LOOP_WINDOW_MS,
    );
    if (redirects.length > MAX_REDIRECTS)
      return this.fail({
        code: 'redirect-loop',
        detail: `${redirects.length} redirects within ${REDIRECT_LOOP_WINDOW_MS / 1000} s, the last to ${to}`,
      });
    if (target.kind !== 'fqdn' && target.address === this.config.server.address)
      return this.fail({
        code: 'redirect-loop',
        detail: `${to} redirected us to itself`,
      });
    this.event({ kind: 'redirected', to });
    const reason: IkeCloseReason = {
      kind: 'redirected',
      to: target,
      from: this.config.server,
      stage,
      redirects,
    };
    if (stage === 'established') return this.startDelete(now, undefined, reason);
    this.close(reason);
  }

  /** Validates the CERT chain against our CAs and identity, then the signature AUTH. */
  private verifyServerCertificateAuth(
    msg: IkeMessage,
    idr: IdPayload,
    method: number,
    authData: Uint8Array,
    octets: Uint8Array,
    now: number,
  ): IkeError | undefined {
    const cfg = this.config;
    const chain = payloadsOf(msg.payloads, PayloadType.CERT)
      .filter((c) => c.encoding === CERT_ENCODING_X509_SIGNATURE)
      .map((c) => c.data);
    if (!chain.length)
      return {
        code: 'certificate-untrusted',
        subject: formatId(idr.idType, idr.data),
        detail: 'the gateway sent no certificate',
      };
    // start() refuses certificate and EAP profiles without it: never "any name a CA vouches for"
    const expected = cfg.remoteId;
    if (!expected)
      return { code: 'config-invalid', field: 'remoteId', detail: 'no gateway identity to check' };
    const v = validateServerCertificate(this.pki(), {
      chain,
      trustedCas: cfg.trustedCas,
      expectedIdentity: { type: expected.idType as Identity['type'], data: expected.data },
      now,
    });
    if (!v.ok) {
      const e = v.error;
      const subject = e.certificate ?? 'of the gateway';
      switch (e.code) {
        case 'certificate-expired':
          return {
            code: 'certificate-expired',
            subject,
            notAfter: new Date(e.notAfter ?? 0).toISOString(),
          };
        case 'certificate-not-yet-valid':
          return {
            code: 'certificate-not-yet-valid',
            subject,
            notBefore: new Date(e.notBefore ?? 0).toISOString(),
          };
        case 'identity-mismatch':
          return {
            code: 'identity-mismatch',
            expected: e.expected ?? expected.text,
            received: (e.found ?? []).join(', ') || 'no names',
            where: 'certificate',
          };
        case 'certificate-untrusted':
          return { code: 'certificate-untrusted', subject, detail: e.message };
        case 'certificate-invalid':
          return { code: 'certificate-invalid', detail: e.message };
      }
    }
    const verified = verifyAuth(this.pki(), v.publicKeySpki, method, authData, octets);
    if (!verified.ok)
      return {
        code: 'authentication-failed',
        by: 'us',
        detail: `its signature does not verify (${verified.error.message})`,
      };
    return undefined;
  }

  /** One EAP round: the gateway's EAP request (or Success/Failure) in an IKE_AUTH response. */
  private onEap(msg: IkeMessage, now: number): void {
    const auth = this.config.auth;
    if (auth.method !== 'eap-mschapv2' || !this.eap) return;
    const [eap] = payloadsOf(msg.payloads, PayloadType.EAP);
    if (!eap) return this.fail({ code: 'eap-failed', detail: 'the gateway sent no EAP request' });
    if (++this.eapRounds > MAX_EAP_ROUNDS)
      return this.fail({ code: 'eap-failed', detail: `more than ${MAX_EAP_ROUNDS} EAP rounds` });
    this.event({ kind: 'eap-round', round: this.eapRounds });
    let reply: Uint8Array;
    if (eap.code === EapCode.REQUEST && eap.eapType === EapType.IDENTITY) {
      reply = eapPacketBytes(
        EapCode.RESPONSE,
        eap.identifier,
        EapType.IDENTITY,
        new TextEncoder().encode(auth.username),
      );
    } else {
      const step = this.eap.handle(encodeEapPayload(eap));
      if (step.kind === 'failure')
        return this.fail({
          code: 'eap-failed',
          detail: `${step.failure.message} — ${step.failure.fix}`,
        });
      if (step.kind === 'success') {
        // AUTH = prf(prf(MSK, "Key Pad for IKEv2"), InitiatorSignedOctets) (RFC 7296 §2.16)
        const ike = this.ike!;
        this.msk = step.msk;
        const octets = concat(
          this.initRequestBytes!,
          this.nonceR!,
          prf(ike.algorithms.prf!, ike.keys.skPi, this.idiBody!),
        );
        const payloads: Payload[] = [
          {
            type: PayloadType.AUTH,
            method: 2,
            data: pskAuth(ike.algorithms.prf!, step.msk, octets),
          },
        ];
        return this.sendProtected(now, ExchangeType.IKE_AUTH, payloads, 'IKE_AUTH', (m, _r, t) =>
          this.onEapFinalResponse(m, t),
        );
      }
      reply = step.eap;
    }
    this.sendProtected(
      now,
      ExchangeType.IKE_AUTH,
      [decodeEapPayload(reply)],
      'IKE_AUTH',
      (m, _r, t) => this.onEapResponse(m, t),
    );
  }

  private msk: Uint8Array | undefined;
  /** The gateway's IDr whose AUTH verified (the EAP-based AUTH is computed over it again). */
  private authenticatedIdr: IdPayload | undefined;

  private onEapResponse(msg: IkeMessage, now: number): void {
    if (
      payloadsOf(msg.payloads, PayloadType.NOTIFY).some(
        (n) => n.notifyType === NotifyErrorType.AUTHENTICATION_FAILED,
      )
    )
      return this.fail({
        code: 'eap-failed',
        detail: 'the gateway rejected the user name or password',
      });
    this.onEap(msg, now);
  }

  /** The gateway's last AUTH, keyed with the MSK, then the Child SA. */
  private onEapFinalResponse(msg: IkeMessage, now: number): void {
    const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
    if (notifies.some((n) => n.notifyType === NotifyErrorType.AUTHENTICATION_FAILED))
      return this.fail({
        code: 'authentication-failed',
        by: 'peer',
        detail: 'AUTHENTICATION_FAILED after EAP',
      });
    const [auth] = payloadsOf(msg.payloads, PayloadType.AUTH);
    const ike = this.ike!;
    // The IDr of the first response is the one that was authenticated (RFC 7296 §2.16: the
    // responder's MSK-based AUTH covers the IDr it sent then); any IDr in this one is ignored.
    const idr = this.authenticatedIdr;
    if (!auth || !this.msk || !idr)
      return this.fail({
        code: 'invalid-syntax',
        detail: 'the final IKE_AUTH response has no AUTH',
      });
    const octets = concat(
      this.initResponseBytes!,
      this.nonceI,
      prf(ike.algorithms.prf!, ike.keys.skPr, idBody(idr.idType, idr.data)),
    );
    if (!constantTimeEqual(pskAuth(ike.algorithms.prf!, this.msk, octets), auth.data))
      return this.fail({
        code: 'authentication-failed',
        by: 'us',
        detail: 'its EAP-based AUTH does not match the MSK',
      });
    zeroise(this.msk);
    this.msk = undefined;
    if (this.redirectedInAuth(msg, now)) return;
    this.completeAuth(msg, now);
  }

  /** After the gateway is authenticated: CP, SA and TS, then the Child SA. */
  private completeAuth(msg: IkeMessage, now: number): void {
    // The gateway is authenticated: the IKE SA exists on both sides from here on, so any refusal
    // below ends with a DELETE rather than a dangling SA (and address lease) on the gateway.
    this.phase = 'established';
    const ike = this.ike!;
    const cfg = this.config;
    const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
    this.peerMobike = notifies.some((n) => n.notifyType === NotifyStatusType.MOBIKE_SUPPORTED);
    this.noteAdditionalAddresses(notifies);
    // 3. Only now: CP, SA, TS.
    const childError = notifies.find((n) =>
      [
        NotifyErrorType.NO_PROPOSAL_CHOSEN,
        NotifyErrorType.TS_UNACCEPTABLE,
        NotifyErrorType.INTERNAL_ADDRESS_FAILURE,
        NotifyErrorType.FAILED_CP_REQUIRED,
        NotifyErrorType.SINGLE_PAIR_REQUIRED,
      ].includes(n.notifyType as never),
    );
    if (childError) {
      this.phase = 'established'; // the IKE SA exists; delete it politely, then report
      const error: IkeError =
        childError.notifyType === NotifyErrorType.NO_PROPOSAL_CHOSEN
          ? { code: 'no-proposal-chosen', stage: 'esp', offered: cfg.espProposalText }
          : childError.notifyType === NotifyErrorType.TS_UNACCEPTABLE
            ? { code: 'ts-unacceptable', detail: 'the gateway answered TS_UNACCEPTABLE' }
            : { code: 'internal-address-failure' };
      return this.startDelete(now, error);
    }
    const [sa] = payloadsOf(msg.payloads, PayloadType.SA);
    const tsi = findTs(msg.payloads, PayloadType.TSI);
    const tsr = findTs(msg.payloads, PayloadType.TSR);
    if (!sa || !tsi || !tsr)
      return this.fail({
        code: 'invalid-syntax',
        detail: 'IKE_AUTH response without SA, TSi or TSr',
      });
    const sel = checkSelectedProposal(this.sentChildProposals, sa.proposals, 4);
    if (!sel.ok) {
      this.dropped(`unusable ESP proposal in IKE_AUTH: ${sel.reason}`);
      const peer = sa.proposals.map((p) => describeSaProposal(p, 'esp'));
      return this.fail({
        code: 'no-proposal-chosen',
        stage: 'esp',
        offered: cfg.espProposalText,
        ...(peer.length ? { peer } : {}),
      });
    }
    if (
      !narrowedWithin(tsi.selectors, this.sentTsi) ||
      !narrowedWithin(tsr.selectors, this.sentTsr)
    )
      return this.fail({
        code: 'ts-unacceptable',
        detail: 'the gateway returned traffic selectors wider than we asked for',
      });

    const [cp] = payloadsOf(msg.payloads, PayloadType.CP);
    const dns: string[] = [];
    const subnets: string[] = [];
    let vip4: string | undefined;
    let vip6: { address: string; prefix: number } | undefined;
    if (cp && cp.cfgType === CfgType.REPLY) {
      for (const a of cp.attributes) {
        if (a.attributeType === CpAttributeType.INTERNAL_IP4_ADDRESS && a.value.length === 4)
          vip4 ??= bytesToIp(a.value);
        // 16-byte address ‖ prefix length; only when we asked (an unasked one is not ours to use)
        if (
          cfg.requestVirtualIp6 &&
          a.attributeType === CpAttributeType.INTERNAL_IP6_ADDRESS &&
          a.value.length === 17 &&
          a.value[16]! <= 128
        )
          vip6 ??= { address: bytesToIp(a.value.subarray(0, 16)), prefix: a.value[16]! };
        if (a.attributeType === CpAttributeType.INTERNAL_IP4_DNS && a.value.length === 4)
          dns.push(bytesToIp(a.value));
        if (a.attributeType === CpAttributeType.INTERNAL_IP6_DNS && a.value.length === 16)
          dns.push(bytesToIp(a.value));
        if (a.attributeType === CpAttributeType.INTERNAL_IP4_SUBNET && a.value.length === 8)
          subnets.push(`${bytesToIp(a.value.subarray(0, 4))}/${maskBits(a.value.subarray(4))}`);
        if (
          a.attributeType === CpAttributeType.INTERNAL_IP6_SUBNET &&
          a.value.length === 17 &&
          a.value[16]! <= 128
        )
          subnets.push(`${bytesToIp(a.value.subarray(0, 16))}/${a.value[16]}`);
      }
    }
    // No IPv6 address (the gateway has no IPv6 pool, or ignores the request) is no failure: the
    // tunnel then carries IPv4 only and IPv6 stays blocked by the runtime, as without asking.
    if (cfg.requestVirtualIp && !vip4)
      return this.startDelete(now, { code: 'internal-address-failure' });

    const child = this.installChild(
      sel.algorithms,
      sel.proposal.spi,
      this.nonceI,
      this.nonceR!,
      tsi.selectors,
      tsr.selectors,
      undefined,
    );
    this.phase = 'established';
    this.clearInFlight();
    const ikeName = describeProposal(ike.algorithms, 'ike');
    this.tunnelConfig = {
      ...(vip4 !== undefined ? { virtualIp4: vip4 } : {}),
      ...(vip6 !== undefined ? { virtualIp6: vip6.address, virtualIp6Prefix: vip6.prefix } : {}),
      dns,
      subnets,
      tsLocal: child.keys.tsLocal,
      tsRemote: child.keys.tsRemote,
      ike: ikeName,
      esp: child.keys.proposal,
      natDetected: { local: this.natLocal, remote: this.natRemote },
      peerSupportsMobike: this.peerMobike,
      server: this.remote,
      local: this.local,
    };
    this.event({
      kind: 'established',
      ike: ikeName,
      esp: child.keys.proposal,
      ...(vip4 ? { virtualIp4: vip4 } : {}),
      ...(vip6 ? { virtualIp6: vip6.address } : {}),
    });
    this.out.push({ type: 'established', config: this.tunnelConfig });
    this.armKeepalive(now);
    this.armDpd(now);
    this.armRekeyChild(now);
    this.armRekeyIke(now);
    this.armExpireIke(now);
    this.runQueue(now);
  }

  private installChild(
    alg: NegotiatedAlgorithms,
    peerSpi: Uint8Array,
    nonceI: Uint8Array,
    nonceR: Uint8Array,
    tsi: readonly TrafficSelector[],
    tsr: readonly TrafficSelector[],
    sharedSecret: Uint8Array | undefined,
    /** True when the peer started the exchange that created this Child SA (keys swap roles). */
    peerInitiated = false,
    spiIn: Uint8Array = this.childSpiIn,
  ): ChildSaState {
    const ike = this.ike!;
    const km = deriveChildSaKeys(
      ike.algorithms.prf!,
      ike.keys.skD,
      { nonceI, nonceR, sharedSecret },
      { encr: alg.encr, encrKeyBits: alg.encrKeyBits, integ: alg.integ },
    );
    // KEYMAT "_i" is initiator → responder of the exchange that created the SA.
    const [encrOut, integOut, encrIn, integIn] = peerInitiated
      ? [km.encrR, km.integR, km.encrI, km.integI]
      : [km.encrI, km.integI, km.encrR, km.integR];
    const [tsLocal, tsRemote] = peerInitiated
      ? sameFamilyPairs(tsr, tsi)
      : sameFamilyPairs(tsi, tsr);
    const keys: ChildSaKeys = {
      spiIn: u32(spiIn),
      spiOut: u32(peerSpi),
      encr: alg.encr,
      encrKeyBits: alg.encrKeyBits ?? 256,
      integ: alg.integ ?? 0,
      encrKeyIn: encrIn,
      integKeyIn: integIn,
      encrKeyOut: encrOut,
      integKeyOut: integOut,
      tsLocal: tsLocal.map(selectorToRange),
      tsRemote: tsRemote.map(selectorToRange),
      local: this.local,
      remote: this.remote,
      proposal: describeProposal(alg, 'esp'),
    };
    const child: ChildSaState = {
      keys,
      negotiated: peerInitiated
        ? { local: [...tsr], remote: [...tsi] }
        : { local: [...tsi], remote: [...tsr] },
    };
    this.lastChildTs = { local: [...tsLocal], remote: [...tsRemote] };
    const life = this.config.childLifetimeMs;
    if (life && life > 0) child.expiresAt = this.clock + life;
    this.children.push(child);
    this.out.push({ type: 'install-child-sa', sa: keys });
    this.armExpireChild();
    return child;
  }

  // ── Requests we send after IKE_AUTH ─────────────────────────────────────────────────────

  private enqueue(action: (now: number) => void, now: number, key?: string): void {
    if (key === undefined || !this.queue.some((q) => q.key === key))
      this.queue.push({ key, run: action });
    this.runQueue(now);
  }

  private runQueue(now: number): void {
    while (
      !this.inFlight &&
      this.queue.length &&
      (this.phase === 'established' || this.phase === 'deleting')
    ) {
      this.queue.shift()!.run(now);
    }
  }

  // ── MOBIKE (RFC 4555) ─────────────────────────────────────────────────────────────────
  //
  //   INFORMATIONAL { N(UPDATE_SA_ADDRESSES), N(NAT_D_S), N(NAT_D_D) } -->   (from the new address)
  //   <-- INFORMATIONAL { N(NAT_D_S), N(NAT_D_D) }
  // Only the original initiator moves an SA; without MOBIKE the path change ends the IKE SA with
  // a recoverable error and the runtime re-establishes (make-before-break is not possible then).

  private roam(local: Endpoint, now: number): void {
    const moved = { address: local.address, port: this.floated ? NATT_PORT : local.port };
    if (moved.address === this.local.address && moved.port === this.local.port) return;
    // Retransmissions of anything in flight leave from the new address from now on.
    this.local = moved;
    if (this.phase !== 'established') return;
    if (!this.config.mobike || !this.peerMobike || !this.ike?.weAreInitiator)
      return this.fail({
        code: 'peer-unreachable',
        server: this.config.serverName,
        afterMs: 0,
        stage: 'a path change (the gateway does not support MOBIKE)',
        fragmentationHint: false,
      });
    this.enqueue((t) => this.sendAddressUpdate(t), now, 'mobike');
  }

  /**
   * The gateway's other addresses (ADDITIONAL_IP4/IP6_ADDRESS in IKE_AUTH or a later
   * INFORMATIONAL, RFC 4555 §3.6). Only ever used as targets of an UPDATE_SA_ADDRESSES whose
   * answer must authenticate (and echo our COOKIE2), never trusted for anything else.
   */
  private peerAdditional: string[] = [];
  /** Gateway addresses tried since the last working one (MOBIKE fall-back). */
  private readonly triedRemotes = new Set<string>();

  /** Replaces the gateway's additional address list when a message carries one (§3.6). */
  private noteAdditionalAddresses(notifies: readonly NotifyLike[]): void {
    const listed = notifies.filter(
      (n) =>
        (n.notifyType === NotifyStatusType.ADDITIONAL_IP4_ADDRESS && n.data.length === 4) ||
        (n.notifyType === NotifyStatusType.ADDITIONAL_IP6_ADDRESS && n.data.length === 16),
    );
    const none = notifies.some((n) => n.notifyType === NotifyStatusType.NO_ADDITIONAL_ADDRESSES);
    if (!listed.length && !none) return;
    const addresses = listed
      .map((n) => bytesToIp(n.data))
      .filter((a) => a !== '0.0.0.0' && a !== '::' && a !== this.remote.address);
    this.peerAdditional = [...new Set(addresses)].slice(0, MAX_PEER_ADDITIONAL_ADDRESSES);
  }

  /** Gateway addresses (ADDITIONAL_*) this SA could move to (for diagnostics and tests). */
  get peerAdditionalAddresses(): readonly string[] {
    return this.peerAdditional;
  }

  /**
   * A liveness check or address update got no answer: with MOBIKE, try the gateway's next
   * additional address before giving up (RFC 4555 §3.5, the initiator picks the peer address).
   */
  private fallBackToAdditionalAddress(f: InFlight, now: number): boolean {
    if (
      this.phase !== 'established' ||
      !this.config.mobike ||
      this.config.moveToAdditionalAddresses !== true ||
      !this.peerMobike ||
      !this.ike?.weAreInitiator ||
      (f.stage !== 'a liveness check' && f.stage !== 'a MOBIKE address update')
    )
      return false;
    this.triedRemotes.add(this.remote.address);
    // Only addresses of our local address's family: an IPv4 socket cannot reach an IPv6 gateway
    // address (and vice versa); a path to the other family comes with a roam, not from here.
    // Nor addresses inside the tunnel's own remote selectors (strongSwan lists its inside
    // addresses too): our routes send those into the TUN, so they cannot carry the outer path.
    const v6 = this.local.address.includes(':');
    const inside = this.lastChildTs?.remote ?? [];
    const next = this.peerAdditional.find(
      (a) =>
        !this.triedRemotes.has(a) &&
        a.includes(':') === v6 &&
        !inside.some((ts) => addressInSelector(a, ts)),
    );
    if (next === undefined) return false;
    this.remote = { address: next, port: NATT_PORT };
    this.dropped(`no answer from the gateway; trying its additional address ${next}`);
    // the address update goes first (replacing a queued one); the rest waits behind it
    const rest = this.queue.filter((q) => q.key !== 'mobike');
    this.queue.splice(
      0,
      this.queue.length,
      { key: 'mobike', run: (t) => this.sendAddressUpdate(t) },
      ...rest,
    );
    this.runQueue(now);
    return true;
  }

  private sendAddressUpdate(now: number): void {
    const ike = this.ike;
    if (!ike || this.phase !== 'established') return;
    const local = this.local;
    const remote = this.remote;
    // RFC 4555 §3.5: the answer must echo it (return routability of the new path). We never
    // send NO_NATS_ALLOWED (§3.9): our ESP is always UDP-encapsulated, NAT or not.
    const cookie2 = this.config.random.bytes(COOKIE2_LENGTH);
    const payloads: Payload[] = [
      notify(NotifyStatusType.UPDATE_SA_ADDRESSES, new Uint8Array(0)),
      notify(NotifyStatusType.COOKIE2, cookie2),
      // forced encapsulation again: a fake source hash keeps the gateway on ESP-in-UDP
      notify(
        NotifyStatusType.NAT_DETECTION_SOURCE_IP,
        natDetectionHash(ike.spiI, ike.spiR, randomIpv4(this.config), local.port),
      ),
      notify(
        NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
        natDetectionHash(ike.spiI, ike.spiR, this.remote.address, this.remote.port),
      ),
    ];
    this.sendProtected(
      now,
      ExchangeType.INFORMATIONAL,
      payloads,
      'a MOBIKE address update',
      (msg, _raw, t) => {
        const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
        const error = notifies.find((n) => n.notifyType < 16384);
        if (error)
          return this.fail({
            code: 'peer-unreachable',
            server: this.config.serverName,
            afterMs: 0,
            stage: `a MOBIKE address update (refused with notify ${error.notifyType})`,
            fragmentationHint: false,
          });
        const echoed = notifies.find((n) => n.notifyType === NotifyStatusType.COOKIE2);
        if (!echoed || !constantTimeEqual(echoed.data, cookie2))
          return this.fail({
            code: 'invalid-syntax',
            detail: 'the gateway answered our MOBIKE address update without echoing COOKIE2',
          });
        this.lastInbound = t;
        this.triedRemotes.clear();
        this.noteAdditionalAddresses(notifies);
        // RFC 4555 §3.5: the answer's NAT detection describes the new path (a NAT may have
        // appeared or gone). ESP stays UDP-encapsulated either way; the state is for the user.
        const nat = detectNat(notifies, ike.spiI, ike.spiR, local, remote);
        if (nat) {
          this.natLocal = nat.local;
          this.natRemote = nat.remote;
          this.event({ kind: 'nat-detected', local: nat.local, remote: nat.remote, forced: true });
        }
        for (const c of this.children) {
          c.keys.local = local;
          c.keys.remote = remote;
        }
        this.out.push({ type: 'update-child-sa-endpoints', local, remote });
        this.event({ kind: 'mobike-update', local });
        this.armDpd(t);
      },
    );
  }

  private sendDpd(now: number): void {
    if (this.phase !== 'established') return;
    this.event({ kind: 'dpd-sent' });
    this.sendProtected(now, ExchangeType.INFORMATIONAL, [], 'a liveness check', (_m, _r, t) => {
      this.lastInbound = t;
      this.armDpd(t);
    });
  }

  private startDelete(now: number, error?: IkeError, reason?: IkeCloseReason): void {
    const why: IkeCloseReason =
      reason ?? (error ? { kind: 'failed', error } : { kind: 'deleted-by-us' });
    if (
      this.phase === 'idle' ||
      this.phase === 'ike-sa-init' ||
      this.phase === 'ike-auth' ||
      !this.ike
    ) {
      // Nothing authenticated to delete: just stop.
      return this.close(why);
    }
    if (this.phase === 'deleting') return;
    this.phase = 'deleting';
    this.clearInFlight();
    this.queue.length = 0;
    this.pendingCloseReason = why;
    const del: Payload = { type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spis: [] };
    // A delete is not worth the full retransmission budget: two tries, then we are gone anyway.
    this.sendProtected(
      now,
      ExchangeType.INFORMATIONAL,
      [del],
      'the delete',
      () => this.close(this.pendingCloseReason!),
      { tries: 1 },
    );
  }

  private pendingCloseReason: IkeCloseReason | undefined;

  private sendInformationalNotify(type: number): void {
    const ike = this.ike;
    if (!ike) return;
    const msg = this.protectedMessage(ike, ExchangeType.INFORMATIONAL, ike.nextRequestId++, false, [
      notify(type, new Uint8Array(0)),
    ]);
    for (const d of this.encode(ike, msg)) this.sendDatagram(d);
  }

  // ── Inbound ──────────────────────────────────────────────────────────────────────────────

  /** The IKE SA a datagram belongs to, by its SPIs (RFC 7296 §2.5: SPIs identify the SA). */
  private saFor(bytes: Uint8Array): IkeSaState | undefined {
    if (bytes.length < 16) return undefined;
    const spiI = bytes.subarray(0, 8);
    const spiR = bytes.subarray(8, 16);
    for (const sa of [this.ike, ...this.others, this.crossedIkeRekey?.next])
      if (sa && bytesEq(sa.spiI, spiI) && bytesEq(sa.spiR, spiR)) return sa;
    return undefined;
  }

  private onDatagram(bytes: Uint8Array, from: Endpoint, now: number): void {
    void from; // the responder may not move us without MOBIKE (RFC 7296 §2.23)
    const sa = this.saFor(bytes);
    if (!sa) {
      // Only the IKE_SA_INIT response may arrive before we know the responder's SPI.
      if (
        this.phase !== 'ike-sa-init' ||
        bytes.length < 8 ||
        !bytesEq(bytes.subarray(0, 8), this.spiI)
      )
        return this.dropped('message for another IKE SA');
      const result = decodeMessage(bytes);
      if (!result.ok) return this.dropped(`undecodable message (${result.error.message})`);
      if (!result.message.response) return this.dropped('a request before the IKE SA exists');
      return this.onResponse(result.message, bytes, now, undefined);
    }
    let msg: IkeMessage;
    if (bytes.length > 16 && bytes[16] === PayloadType.SKF) {
      // RFC 7383: each fragment is authenticated before it is kept; only a whole message counts.
      const r = sa.reassembler.push(bytes);
      if (r.status === 'incomplete') return;
      if (r.status === 'dropped') return this.dropped(`fragment ${r.reason}`);
      if (r.status === 'error')
        return r.protected
          ? this.onProtectedError(sa, bytes, r.error, now)
          : this.dropped(`bad fragment (${r.error.message})`);
      sa.reassembler.reset();
      msg = r.message;
    } else {
      const result = decodeMessage(bytes, sa.in);
      if (!result.ok)
        return result.protected
          ? this.onProtectedError(sa, bytes, result.error, now)
          : this.dropped(`undecodable message (${result.error.message})`);
      msg = result.message;
    }
    if (!msg.encrypted) return this.dropped('unencrypted message on an established IKE SA');
    // The I flag says whether the sender is the SA's initiator: it must be the other side.
    if (msg.initiator === sa.weAreInitiator) return this.dropped('message with our own I flag');
    if (msg.response) return this.onResponse(msg, bytes, now, sa);
    if (this.phase !== 'established' && this.phase !== 'deleting')
      return this.dropped('request before the IKE SA is established');
    this.onPeerRequest(sa, msg, now);
  }

  /**
   * A message that authenticated but is malformed, or carries an unknown critical payload
   * (RFC 7296 §2.5, §2.21). Only now may it change anything — the peer really sent it:
   *   - a request is answered (and counted, and cached for its retransmissions) with
   *     N(UNSUPPORTED_CRITICAL_PAYLOAD, payload type) or N(INVALID_SYNTAX); the SA carries on
   *     (§2.21.3: errors in requests are answered, never sent on their own);
   *   - the response to our request in flight ends the SA with invalid-syntax at once: the
   *     gateway will not answer it otherwise, so waiting would only end as peer-unreachable.
   * Anything else (a stale message ID, our own I flag) is dropped as usual.
   */
  private onProtectedError(
    sa: IkeSaState,
    bytes: Uint8Array,
    error: IkeSyntaxError,
    now: number,
  ): void {
    const h = decodeHeader(bytes);
    if (!h.ok) return this.dropped(`undecodable message (${error.message})`);
    const { header } = h;
    if (header.initiator === sa.weAreInitiator) return this.dropped('message with our own I flag');
    if (header.response) {
      const f = this.inFlight;
      if (
        !f ||
        f.sa !== sa ||
        header.messageId !== f.messageId ||
        header.exchangeType !== f.exchange
      )
        return this.dropped(`malformed response to no outstanding request (${error.message})`);
      this.lastInbound = now;
      this.clearInFlight();
      if (this.phase === 'deleting')
        return this.close(this.pendingCloseReason ?? { kind: 'deleted-by-us' });
      if (sa !== this.ike) {
        // the delete of a retired IKE SA: that SA is gone either way, the current one carries on
        this.forgetIkeSa(sa);
        this.dropped(`malformed answer on a retired IKE SA (${error.message}); forgotten`);
        return this.runQueue(now);
      }
      return this.fail({
        code: 'invalid-syntax',
        detail: `the gateway's ${exchangeTypeName(header.exchangeType)} response is malformed (${error.message})`,
      });
    }
    if (this.phase !== 'established' && this.phase !== 'deleting')
      return this.dropped('request before the IKE SA is established');
    if (sa.lastPeerResponse && header.messageId === sa.lastPeerResponse.messageId) {
      for (const d of sa.lastPeerResponse.datagrams) this.sendDatagram(d);
      return;
    }
    if (header.messageId !== sa.peerNextId)
      return this.dropped(
        `peer request with message ID ${header.messageId}, expected ${sa.peerNextId}`,
      );
    sa.peerNextId++;
    this.lastInbound = now;
    const answer =
      error.code === 'unsupported-critical-payload' && error.payloadType !== undefined
        ? notify(NotifyErrorType.UNSUPPORTED_CRITICAL_PAYLOAD, Uint8Array.of(error.payloadType))
        : notify(NotifyErrorType.INVALID_SYNTAX, new Uint8Array(0));
    this.dropped(
      `malformed ${exchangeTypeName(header.exchangeType)} request from the gateway (${error.message}); answered with an error notify`,
    );
    const reply = this.protectedMessage(sa, header.exchangeType, header.messageId, true, [answer]);
    const datagrams = this.encode(sa, reply);
    sa.lastPeerResponse = { messageId: header.messageId, datagrams };
    for (const d of datagrams) this.sendDatagram(d);
    this.armDpd(now);
  }

  private onResponse(
    msg: IkeMessage,
    raw: Uint8Array,
    now: number,
    sa: IkeSaState | undefined,
  ): void {
    const f = this.inFlight;
    if (!f || f.sa !== sa || msg.messageId !== f.messageId || msg.exchangeType !== f.exchange)
      return this.dropped('response to no outstanding request');
    if (f.exchange === ExchangeType.IKE_SA_INIT && msg.initiator)
      return this.dropped('IKE_SA_INIT response with the I flag');
    if (f.exchange !== ExchangeType.IKE_SA_INIT) this.lastInbound = now;
    this.inFlight = undefined;
    if (f.onResponse(msg, raw, now) === false) {
      // not an answer we can use: keep waiting (and retransmitting) for the real one
      this.inFlight ??= f;
      return;
    }
    // a handler that sent a new request has armed the timer for it already
    if (!this.inFlight || this.inFlight === f)
      this.out.push({ type: 'cancel-timer', timer: 'retransmit' });
    this.runQueue(now);
  }

  private onPeerRequest(ike: IkeSaState, msg: IkeMessage, now: number): void {
    // Not the current SA: the old one of a rekey, or a redundant one, about to be deleted.
    const retiring = ike !== this.ike;
    this.lastInbound = now;
    if (ike.lastPeerResponse && msg.messageId === ike.lastPeerResponse.messageId) {
      for (const d of ike.lastPeerResponse.datagrams) this.sendDatagram(d);
      return;
    }
    if (msg.messageId !== ike.peerNextId)
      return this.dropped(
        `peer request with message ID ${msg.messageId}, expected ${ike.peerNextId}`,
      );
    ike.peerNextId++;
    let after: (() => void) | undefined;
    let response: Payload[] = [];
    switch (msg.exchangeType) {
      case ExchangeType.INFORMATIONAL: {
        const redirect = payloadsOf(msg.payloads, PayloadType.NOTIFY).find(
          (n) => n.notifyType === NotifyStatusType.REDIRECT,
        );
        if (redirect && !retiring && this.phase === 'established') {
          // Gateway-initiated redirect (RFC 5685 §5): acknowledge with an empty INFORMATIONAL,
          // then delete this IKE SA and connect to the new gateway.
          try {
            const { target } = decodeRedirectData(redirect.data);
            after = () => this.followRedirect(target, 'established', this.clock);
          } catch (e) {
            this.dropped(`malformed REDIRECT (${(e as Error).message})`);
          }
          break;
        }
        const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
        // RFC 4555 §3.5: a return routability check of the gateway; the answer echoes COOKIE2.
        const cookie2 = notifies.find(
          (n) =>
            n.notifyType === NotifyStatusType.COOKIE2 && n.data.length >= 8 && n.data.length <= 64,
        );
        if (cookie2) response.push(notify(NotifyStatusType.COOKIE2, cookie2.data));
        // §3.9: it forbids NAT between us, and we are always behind one (forced encapsulation).
        if (notifies.some((n) => n.notifyType === NotifyStatusType.NO_NATS_ALLOWED))
          response.push(notify(NotifyErrorType.UNEXPECTED_NAT_DETECTED, new Uint8Array(0)));
        // §3.2: only the original initiator (we) moves the SA; the gateway's update is ignored.
        if (notifies.some((n) => n.notifyType === NotifyStatusType.UPDATE_SA_ADDRESSES))
          this.dropped('UPDATE_SA_ADDRESSES from the gateway (only the initiator moves an SA)');
        if (!retiring) this.noteAdditionalAddresses(notifies);
        const deletes = payloadsOf(msg.payloads, PayloadType.DELETE);
        if (deletes.some((d) => d.protocolId === ProtocolId.IKE)) {
          if (retiring) {
            // the gateway finishes its IKE rekey (or deletes a redundant SA of a collision): that
            // SA is gone, the current one carries on
            after = () => this.forgetIkeSa(ike);
            break;
          }
          this.event({ kind: 'peer-delete', what: 'ike' });
          after = () => this.close({ kind: 'deleted-by-peer' });
          break;
        }
        const ours: Uint8Array[] = [];
        for (const d of deletes.filter((x) => x.protocolId === ProtocolId.ESP)) {
          for (const spi of d.spis) {
            const child = this.children.find((c) => c.keys.spiOut === u32(spi));
            if (!child) continue;
            ours.push(be32(child.keys.spiIn));
            this.removeChild(child);
            this.event({ kind: 'peer-delete', what: 'child' });
          }
        }
        if (ours.length)
          response.push({ type: PayloadType.DELETE, protocolId: ProtocolId.ESP, spis: ours });
        if (this.phase === 'established' && this.children.length === 0 && ours.length)
          // The IKE SA lives on: strongSwan re-creates an expired Child SA itself; if it has not
          // within 2 s, we do (a tunnel without a Child SA carries nothing).
          this.out.push({ type: 'arm-timer', timer: 'rekey-child', at: now + 2_000 });
        break;
      }
      case ExchangeType.CREATE_CHILD_SA: {
        // RFC 7296 §2.25: a rekey of something we are closing is answered TEMPORARY_FAILURE
        if (retiring || this.phase === 'deleting') {
          response = [notify(NotifyErrorType.TEMPORARY_FAILURE, new Uint8Array(0))];
          break;
        }
        const answer = this.answerCreateChildSa(msg, now);
        response = answer.payloads;
        after = answer.after;
        break;
      }
      default:
        return this.dropped(`request of exchange type ${msg.exchangeType}`);
    }
    const reply = this.protectedMessage(ike, msg.exchangeType, msg.messageId, true, response);
    const datagrams = this.encode(ike, reply);
    ike.lastPeerResponse = { messageId: msg.messageId, datagrams };
    for (const d of datagrams) this.sendDatagram(d);
    this.armDpd(now);
    after?.();
  }

  /** The responder rekeys a Child SA (strongSwan does so on its own lifetimes and after MOBIKE). */
  private answerCreateChildSa(
    msg: IkeMessage,
    now: number,
  ): { payloads: Payload[]; after?: () => void } {
    const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
    const rekey = notifies.find((n) => n.notifyType === NotifyStatusType.REKEY_SA);
    const [sa] = payloadsOf(msg.payloads, PayloadType.SA);
    const [ni] = payloadsOf(msg.payloads, PayloadType.NONCE);
    const [kei] = payloadsOf(msg.payloads, PayloadType.KE);
    const tsi = findTs(msg.payloads, PayloadType.TSI);
    const tsr = findTs(msg.payloads, PayloadType.TSR);
    if (sa && ni && !rekey && sa.proposals[0]?.protocolId === ProtocolId.IKE)
      return this.answerIkeRekey(sa.proposals, ni.nonce, kei, now);
    if (!sa || !ni || !tsi || !tsr || (rekey && rekey.protocolId !== ProtocolId.ESP))
      return { payloads: [notify(NotifyErrorType.INVALID_SYNTAX, new Uint8Array(0))] };
    if (!rekey) {
      // A new Child SA from the gateway (strongSwan re-creates one after a hard expiry). We carry
      // one tunnel: accept it only to replace a missing one, and only for selectors we asked for.
      if (this.children.length > 0)
        return { payloads: [notify(NotifyErrorType.NO_ADDITIONAL_SAS, new Uint8Array(0))] };
      const ourSide = this.lastChildTs?.local ?? this.sentTsi;
      if (!narrowedWithin(tsi.selectors, this.sentTsr) || !narrowedWithin(tsr.selectors, ourSide))
        return { payloads: [notify(NotifyErrorType.TS_UNACCEPTABLE, new Uint8Array(0))] };
    }
    const old = rekey
      ? this.children.find(
          (c) => c.keys.spiOut === u32(rekey.spi) || c.keys.spiIn === u32(rekey.spi),
        )
      : undefined;
    if (
      old &&
      (!narrowedWithin(tsi.selectors, old.negotiated.remote) ||
        !narrowedWithin(tsr.selectors, old.negotiated.local))
    )
      // RFC 7296 §2.9: selectors are only ever narrowed; a rekey keeps the old SA's
      return { payloads: [notify(NotifyErrorType.TS_UNACCEPTABLE, new Uint8Array(0))] };
    if (rekey && !old)
      return {
        payloads: [
          notify(NotifyErrorType.CHILD_SA_NOT_FOUND, new Uint8Array(0), ProtocolId.ESP, rekey.spi),
        ],
      };
    // RFC 7296 §2.25.1: a Child SA already replaced (its delete pending) is being closed.
    if (old?.rekeyed || old?.crossed)
      return { payloads: [notify(NotifyErrorType.TEMPORARY_FAILURE, new Uint8Array(0))] };
    // Pick the first of their proposals that our configuration allows.
    const mine = buildSaProposals(this.config.espProposals, ProtocolId.ESP, new Uint8Array(4), {
      withKe: true,
    });
    for (const theirs of sa.proposals) {
      if (theirs.protocolId !== ProtocolId.ESP || theirs.spi.length !== 4) continue;
      const chosen = chooseFrom(theirs, mine);
      if (!chosen) continue;
      const { proposal, algorithms } = chosen;
      let ke: KeyExchange | undefined;
      let shared: Uint8Array | undefined;
      if (algorithms.ke !== undefined && algorithms.ke !== 0) {
        if (!kei || kei.group !== algorithms.ke || !isSupportedKeGroup(kei.group)) {
          return { payloads: [notify(NotifyErrorType.INVALID_KE_PAYLOAD, be16(algorithms.ke))] };
        }
        ke = this.createKe(kei.group);
        if (!ke)
          return { payloads: [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))] };
        const r = ke.computeSharedSecret(kei.data);
        if (!r.ok) return { payloads: [notify(NotifyErrorType.INVALID_SYNTAX, new Uint8Array(0))] };
        shared = r.sharedSecret;
      }
      const spiIn = nonZero(this.config.random, 4);
      const nonceR = this.config.random.bytes(NONCE_LENGTH);
      const created = this.installChild(
        algorithms,
        theirs.spi,
        ni.nonce,
        nonceR,
        tsi.selectors,
        tsr.selectors,
        shared,
        true,
        spiIn,
      );
      if (shared) zeroise(shared);
      // Our rekey of the same SA is in flight: answer as usual and let the nonces decide once
      // our answer is in (§2.25.1, §2.8.1). Otherwise the old SA waits for the peer's DELETE.
      if (old && this.childRekeyInFlight === old)
        old.crossed = { nonces: [ni.nonce, nonceR], child: created };
      else if (old) old.rekeyed = true;
      this.event({ kind: 'child-rekeyed', initiator: 'peer', spiIn: u32(spiIn) });
      this.out.push({ type: 'cancel-timer', timer: 'rekey-child' });
      this.armRekeyChild(now);
      // The old SA stays until the peer deletes it (it sends the DELETE right after).
      const reply: Payload[] = [
        { type: PayloadType.SA, proposals: [{ ...proposal, number: theirs.number, spi: spiIn }] },
        { type: PayloadType.NONCE, nonce: nonceR },
      ];
      if (ke) reply.push({ type: PayloadType.KE, group: ke.group, data: ke.publicValue });
      reply.push(
        { type: PayloadType.TSI, selectors: tsi.selectors },
        { type: PayloadType.TSR, selectors: tsr.selectors },
      );
      return { payloads: reply };
    }
    return { payloads: [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))] };
  }

  // ── Rekeying (RFC 7296 §1.3.2, §1.3.3, §2.8, §2.18) ─────────────────────────────────────
  //
  //   peer IKE rekey   <-- CREATE_CHILD_SA { SA(IKE, their new SPI), Ni, KEi }
  //                    CREATE_CHILD_SA { SA(IKE, our new SPI), Nr, KEr } -->   (on the old SA)
  //                    <-- INFORMATIONAL { D(IKE) } on the old SA;  { } -->
  //   our Child rekey  CREATE_CHILD_SA { N(REKEY_SA, old SPI), SA(ESP, new SPI), Ni, [KEi], TSi, TSr } -->
  //                    <-- { SA, Nr, [KEr], TSi, TSr };  INFORMATIONAL { D(ESP, old inbound SPI) } -->
  //   our IKE rekey    CREATE_CHILD_SA { SA(IKE, our new SPI), Ni, KEi } --> <-- { SA, Nr, KEr }
  //                    INFORMATIONAL { D(IKE) } on the old SA -->
  // Child SAs are independent of the IKE SA that created them and move to the new one as they are.

  private answerIkeRekey(
    proposals: readonly SaProposal[],
    nonceI: Uint8Array,
    kei: KePayloadLike | undefined,
    now: number,
  ): { payloads: Payload[]; after?: () => void } {
    const old = this.ike!;
    // One crossing rekey is resolved at a time; anything more waits (RFC 7296 §2.25).
    if (this.crossedIkeRekey || this.others.length)
      return { payloads: [notify(NotifyErrorType.TEMPORARY_FAILURE, new Uint8Array(0))] };
    const mine = buildSaProposals(this.config.ikeProposals, ProtocolId.IKE, new Uint8Array(8), {
      withKe: true,
    });
    for (const theirs of proposals) {
      if (theirs.protocolId !== ProtocolId.IKE || theirs.spi.length !== 8) continue;
      const chosen = chooseFrom(theirs, mine, 8);
      if (!chosen || chosen.algorithms.ke === undefined) continue;
      const group = chosen.algorithms.ke;
      if (!kei || kei.group !== group)
        return { payloads: [notify(NotifyErrorType.INVALID_KE_PAYLOAD, be16(group))] };
      const ke = this.createKe(group);
      if (!ke) return { payloads: [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))] };
      const shared = ke.computeSharedSecret(kei.data);
      if (!shared.ok)
        return { payloads: [notify(NotifyErrorType.INVALID_SYNTAX, new Uint8Array(0))] };
      const spiR = nonZero(this.config.random, 8);
      const nonceR = this.config.random.bytes(NONCE_LENGTH);
      const next = createIkeSaState({
        algorithms: chosen.algorithms,
        nonceI,
        nonceR,
        spiI: theirs.spi,
        spiR,
        sharedSecret: shared.sharedSecret,
        weAreInitiator: false, // the gateway started the rekey: it is the new SA's initiator
        random: this.config.random,
        rekeyOf: old,
      });
      zeroise(shared.sharedSecret);
      return {
        payloads: [
          {
            type: PayloadType.SA,
            proposals: [{ ...chosen.proposal, number: theirs.number, spi: spiR }],
          },
          { type: PayloadType.NONCE, nonce: nonceR },
          { type: PayloadType.KE, group, data: ke.publicValue },
        ],
        after: () => {
          // Our own IKE rekey is in flight: both new SAs exist now, and our answer's nonces
          // decide which one is redundant (§2.8.1). Until then the old SA stays current.
          if (this.ikeRekeyInFlight) this.crossedIkeRekey = { next, nonces: [nonceI, nonceR] };
          else this.switchIkeSa(next, 'peer', now);
        },
      };
    }
    return { payloads: [notify(NotifyErrorType.NO_PROPOSAL_CHOSEN, new Uint8Array(0))] };
  }

  /** Makes `next` the current IKE SA; the old one lives on until its DELETE exchange is done. */
  private switchIkeSa(next: IkeSaState, initiator: 'us' | 'peer', now: number): void {
    if (this.ike) this.keepOther(this.ike);
    this.ike = next;
    this.event({ kind: 'ike-rekeyed', initiator });
    this.armRekeyIke(now);
    // the new IKE SA has a lifetime of its own: the old one's hard limit no longer applies
    this.armExpireIke(now);
  }

  /** Keeps a non-current IKE SA addressable until its delete is done (bounded). */
  private keepOther(sa: IkeSaState): void {
    this.others.push(sa);
    while (this.others.length > MAX_OTHER_IKE_SAS) this.others.shift();
  }

  private forgetIkeSa(sa: IkeSaState): void {
    this.others = this.others.filter((o) => o !== sa);
    if (this.crossedIkeRekey?.next === sa) this.crossedIkeRekey = undefined;
  }

  /** strongSwan's retry delay after TEMPORARY_FAILURE, drawn from the injected randomness. */
  private rekeyRetryAt(now: number): number {
    const r = this.config.random.bytes(2);
    const jitter = Math.floor((((r[0]! << 8) | r[1]!) / 0xffff) * REKEY_RETRY_JITTER_MS);
    return now + REKEY_RETRY_INTERVAL_MS - jitter;
  }

  /** The selectors of the last Child SA, to re-create it after the gateway deleted it. */
  private lastChildTs: { local: TrafficSelector[]; remote: TrafficSelector[] } | undefined;

  /** The data plane's early rekey request (sequence numbers or a volume lifetime running out). */
  private requestChildRekey(spiIn: number, reason: string, now: number): void {
    if (this.phase !== 'established') return;
    const child = this.children.find((c) => c.keys.spiIn === spiIn);
    if (!child) return this.dropped(`rekey request (${reason}) for unknown Child SA ${spiIn}`);
    if (child.rekeying || child.rekeyed) return;
    child.rekeying = true;
    this.enqueue((t) => this.startChildRekey(t, child), now);
  }

  /** The newest Child SA that is not already being replaced. */
  private currentChild(): ChildSaState | undefined {
    return this.children.filter((c) => !c.rekeyed).at(-1);
  }

  /** `group`: the PFS group the gateway asked for with INVALID_KE_PAYLOAD (one retry). */
  private startChildRekey(now: number, target?: ChildSaState, group?: number): void {
    if (target && (!this.children.includes(target) || target.rekeyed)) {
      target.rekeying = false;
      return;
    }
    const child = target ?? this.currentChild();
    const ts = child
      ? {
          local: child.keys.tsLocal.map(rangeToSelector),
          remote: child.keys.tsRemote.map(rangeToSelector),
        }
      : this.lastChildTs;
    if (this.phase !== 'established' || !ts) {
      if (child) child.rekeying = false;
      return;
    }
    if (child) child.rekeying = true;
    this.childRekeyInFlight = child;
    const cfg = this.config;
    const spiIn = nonZero(cfg.random, 4);
    const nonceI = cfg.random.bytes(NONCE_LENGTH);
    const pfsGroup = group ?? cfg.espProposals[0]?.ke.find((g) => g !== 0);
    const ke = pfsGroup !== undefined ? this.createKe(pfsGroup) : undefined;
    const sent = buildSaProposals(cfg.espProposals, ProtocolId.ESP, spiIn, {
      withKe: ke !== undefined,
    });
    const tsi = ts.local;
    const tsr = ts.remote;
    // Without a Child SA to replace this creates a new one (RFC 7296 §1.3.1): no REKEY_SA.
    const payloads: Payload[] = child
      ? [
          notify(
            NotifyStatusType.REKEY_SA,
            new Uint8Array(0),
            ProtocolId.ESP,
            be32(child.keys.spiIn),
          ),
        ]
      : [];
    payloads.push(
      { type: PayloadType.SA, proposals: sent },
      { type: PayloadType.NONCE, nonce: nonceI },
    );
    if (ke) payloads.push({ type: PayloadType.KE, group: ke.group, data: ke.publicValue });
    payloads.push(
      { type: PayloadType.TSI, selectors: tsi },
      { type: PayloadType.TSR, selectors: tsr },
    );
    this.sendProtected(
      now,
      ExchangeType.CREATE_CHILD_SA,
      payloads,
      'a Child SA rekey',
      (msg, _raw, t) => {
        this.childRekeyInFlight = undefined;
        const crossed = child?.crossed;
        if (child) {
          child.rekeying = false;
          child.crossed = undefined;
        }
        const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
        const [sa] = payloadsOf(msg.payloads, PayloadType.SA);
        const [nr] = payloadsOf(msg.payloads, PayloadType.NONCE);
        const [ker] = payloadsOf(msg.payloads, PayloadType.KE);
        const rtsi = findTs(msg.payloads, PayloadType.TSI);
        const rtsr = findTs(msg.payloads, PayloadType.TSR);
        const sel = sa ? checkSelectedProposal(sent, sa.proposals, 4) : undefined;
        if (!sa || !nr || !rtsi || !rtsr || !sel?.ok) {
          const why = notifies.find((n) => n.notifyType < 16384)?.notifyType;
          if (child && crossed) {
            // Its rekey crossed ours and it refused ours (§2.25.1): its new SA stands and it
            // deletes the old one.
            child.rekeyed = true;
            crossed.child.rekeyed = false;
            return this.dropped(
              'Child SA rekey collision: the gateway refused ours, its rekey stands',
            );
          }
          const invalidKe = notifies.find(
            (n) => n.notifyType === NotifyErrorType.INVALID_KE_PAYLOAD,
          );
          const wanted =
            invalidKe?.data.length === 2 ? (invalidKe.data[0]! << 8) | invalidKe.data[1]! : -1;
          if (
            invalidKe &&
            ke &&
            group === undefined &&
            wanted !== ke.group &&
            wanted > 0 &&
            cfg.espProposals.some((p) => p.ke.includes(wanted)) &&
            isSupportedKeGroup(wanted)
          ) {
            // RFC 7296 §1.3: again at once with the group it prefers — only one we offered.
            this.dropped(
              `Child SA rekey: the gateway wants key exchange group ${wanted}; retrying`,
            );
            if (child) child.rekeying = true;
            this.queue.unshift({
              key: undefined,
              run: (t2) => this.startChildRekey(t2, child, wanted),
            });
            return;
          }
          if (why === NotifyErrorType.CHILD_SA_NOT_FOUND) {
            // The gateway no longer has it (it deleted it meanwhile): re-create, do not rekey.
            if (child && this.children.includes(child)) this.removeChild(child);
            this.dropped(
              'Child SA rekey: the gateway no longer has that Child SA; creating a new one',
            );
            if (!this.currentChild())
              this.out.push({ type: 'arm-timer', timer: 'rekey-child', at: t });
            return;
          }
          if (
            !child &&
            !this.currentChild() &&
            why !== undefined &&
            why !== NotifyErrorType.TEMPORARY_FAILURE
          )
            // No Child SA left to keep: without one the tunnel carries nothing.
            return this.startDelete(
              t,
              why === NotifyErrorType.NO_PROPOSAL_CHOSEN
                ? { code: 'no-proposal-chosen', stage: 'esp', offered: cfg.espProposalText }
                : why === NotifyErrorType.TS_UNACCEPTABLE
                  ? {
                      code: 'ts-unacceptable',
                      detail: 'the gateway refused to re-create the Child SA',
                    }
                  : {
                      code: 'peer-deleted',
                      detail: `the gateway refused a new Child SA with notify ${why}`,
                    },
            );
          return this.rekeyRefused('Child', why, t, 'rekey-child');
        }
        let shared: Uint8Array | undefined;
        if (ke) {
          if (!ker || ker.group !== ke.group)
            return this.fail({
              code: 'invalid-ke',
              detail: 'Child SA rekey without the KE we asked for',
            });
          const r = ke.computeSharedSecret(ker.data);
          if (!r.ok) return this.fail({ code: 'invalid-ke', detail: r.message });
          shared = r.sharedSecret;
        }
        const created = this.installChild(
          sel.algorithms,
          sel.proposal.spi,
          nonceI,
          nr.nonce,
          rtsi.selectors,
          rtsr.selectors,
          shared,
          false,
          spiIn,
        );
        if (shared) zeroise(shared);
        if (child) child.rekeyed = true;
        if (crossed) {
          // Both rekeys of this SA completed (§2.8.1): the SA created with the lowest of the
          // four nonces is redundant, and whoever created it deletes it; the creator of the
          // surviving SA deletes the old one.
          crossed.child.rekeyed = false;
          if (createdRedundant([nonceI, nr.nonce], crossed.nonces)) {
            created.rekeyed = true;
            this.dropped('Child SA rekey collision: ours used the lowest nonce, deleting it');
            this.armRekeyChild(t);
            this.enqueue((t2) => this.deleteChild(created, t2), t);
            return;
          }
          // Ours survives: the gateway deletes its redundant SA.
          crossed.child.rekeyed = true;
        }
        this.event({ kind: 'child-rekeyed', initiator: 'us', spiIn: u32(spiIn) });
        this.armRekeyChild(t);
        // Delete the old Child SA (our inbound SPI); the data plane keeps its inbound side briefly.
        if (child) this.enqueue((t2) => this.deleteChild(child, t2), t);
      },
    );
  }

  private deleteChild(child: ChildSaState, now: number): void {
    if (!this.children.includes(child)) return;
    const del: Payload = {
      type: PayloadType.DELETE,
      protocolId: ProtocolId.ESP,
      spis: [be32(child.keys.spiIn)],
    };
    this.sendProtected(now, ExchangeType.INFORMATIONAL, [del], 'a Child SA delete', () =>
      this.removeChild(child),
    );
  }

  private startIkeRekey(now: number): void {
    const old = this.ike;
    if (this.phase !== 'established' || !old || this.others.length || this.crossedIkeRekey) return;
    const group = old.algorithms.ke ?? this.keGroup;
    const ke = this.createKe(group);
    if (!ke) return;
    const spiI = nonZero(this.config.random, 8);
    const nonceI = this.config.random.bytes(NONCE_LENGTH);
    // strongSwan prefers the group in use; offer the negotiated proposal first, then the rest.
    const sent = buildSaProposals(this.config.ikeProposals, ProtocolId.IKE, spiI, { withKe: true });
    const payloads: Payload[] = [
      { type: PayloadType.SA, proposals: sent },
      { type: PayloadType.NONCE, nonce: nonceI },
      { type: PayloadType.KE, group, data: ke.publicValue },
    ];
    this.ikeRekeyInFlight = true;
    this.sendProtected(
      now,
      ExchangeType.CREATE_CHILD_SA,
      payloads,
      'an IKE SA rekey',
      (msg, _raw, t) => {
        this.ikeRekeyInFlight = false;
        const crossed = this.crossedIkeRekey;
        this.crossedIkeRekey = undefined;
        const notifies = payloadsOf(msg.payloads, PayloadType.NOTIFY);
        const [sa] = payloadsOf(msg.payloads, PayloadType.SA);
        const [nr] = payloadsOf(msg.payloads, PayloadType.NONCE);
        const [ker] = payloadsOf(msg.payloads, PayloadType.KE);
        const sel = sa ? checkSelectedProposal(sent, sa.proposals, 8) : undefined;
        if (!sa || !nr || !ker || !sel?.ok || sel.algorithms.ke !== group || ker.group !== group) {
          const why = notifies.find((n) => n.notifyType < 16384)?.notifyType;
          if (crossed) {
            // The gateway refused ours because its own rekey crossed it: its new SA stands,
            // and it deletes the old one (§2.25).
            this.dropped('IKE SA rekey collision: the gateway refused ours, its rekey stands');
            return this.switchIkeSa(crossed.next, 'peer', t);
          }
          return this.rekeyRefused('IKE', why, t, 'rekey-ike');
        }
        const shared = ke.computeSharedSecret(ker.data);
        if (!shared.ok) return this.fail({ code: 'invalid-ke', detail: shared.message });
        const next = createIkeSaState({
          algorithms: sel.algorithms,
          nonceI,
          nonceR: nr.nonce,
          spiI,
          spiR: sel.proposal.spi,
          sharedSecret: shared.sharedSecret,
          weAreInitiator: true,
          random: this.config.random,
          rekeyOf: old,
        });
        zeroise(shared.sharedSecret);
        if (crossed && createdRedundant([nonceI, nr.nonce], crossed.nonces)) {
          // RFC 7296 §2.8.1: our exchange used the lowest of the four nonces, so the SA we
          // created is redundant and we delete it; the gateway's SA carries on, and the gateway
          // (whose SA survived) deletes the old one.
          this.dropped('IKE SA rekey collision: ours used the lowest nonce, deleting it');
          this.switchIkeSa(crossed.next, 'peer', t);
          this.keepOther(next);
          this.enqueue((t2) => this.deleteIkeSa(next, t2, 'the redundant IKE SA delete'), t);
          return;
        }
        this.switchIkeSa(next, 'us', t);
        // The gateway deletes the redundant SA it created (if our rekeys crossed).
        if (crossed) this.keepOther(crossed.next);
        // We started the surviving rekey, so we delete the old IKE SA (on the old SA, §2.18).
        this.enqueue((t2) => this.deleteIkeSa(old, t2, 'the old IKE SA delete'), t);
      },
    );
  }

  /** INFORMATIONAL { D(IKE) } on a non-current IKE SA (old after a rekey, or redundant). */
  private deleteIkeSa(sa: IkeSaState, now: number, stage: string): void {
    if (!this.others.includes(sa)) return;
    this.sendProtected(
      now,
      ExchangeType.INFORMATIONAL,
      [{ type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spis: [] }],
      stage,
      () => this.forgetIkeSa(sa),
      { sa },
    );
  }

  /**
   * Our rekey was refused. TEMPORARY_FAILURE (§2.25: the gateway is busy with a colliding
   * exchange): retry after a random delay. NO_PROPOSAL_CHOSEN and the like would only be refused
   * again: keep the current SA (it lives until the gateway expires it) and say so.
   */
  private rekeyRefused(
    what: 'IKE' | 'Child',
    why: number | undefined,
    now: number,
    timer: 'rekey-ike' | 'rekey-child',
  ): void {
    if (why !== undefined && why !== NotifyErrorType.TEMPORARY_FAILURE) {
      this.dropped(
        `${what} SA rekey refused with notify ${why}; keeping the current ${what} SA until the gateway expires it`,
      );
      return;
    }
    this.dropped(
      `${what} SA rekey ${why === undefined ? 'answer unusable' : 'refused with TEMPORARY_FAILURE'}; retrying`,
    );
    this.out.push({ type: 'arm-timer', timer, at: this.rekeyRetryAt(now) });
  }

  /**
   * Soft lifetime with jitter (strongSwan: rekey_time − random(rand_time)): the configured rekey
   * time, else 90 % of the lifetime; the jitter configured, else 10 % of that (80–90 % of a
   * lifetime when only the lifetime is set).
   */
  private rekeyAt(
    now: number,
    lifetimeMs: number | undefined,
    rekeyMs: number | undefined,
  ): number | undefined {
    const fraction = () => this.config.random.bytes(1)[0]! / 255;
    if (rekeyMs !== undefined && rekeyMs > 0)
      return now + rekeyMs - ((fraction() * (this.config.rekeyJitterMs ?? rekeyMs * 0.1)) | 0);
    if (!lifetimeMs || lifetimeMs <= 0) return undefined;
    const margin = lifetimeMs * 0.1;
    const jitter = (fraction() * (this.config.rekeyJitterMs ?? margin)) | 0;
    return now + lifetimeMs - margin - jitter;
  }

  private armRekeyChild(now: number): void {
    const at = this.rekeyAt(now, this.config.childLifetimeMs, this.config.childRekeyMs);
    if (at !== undefined) this.out.push({ type: 'arm-timer', timer: 'rekey-child', at });
  }

  private armRekeyIke(now: number): void {
    const at = this.rekeyAt(now, this.config.ikeLifetimeMs, this.config.ikeRekeyMs);
    if (at !== undefined) this.out.push({ type: 'arm-timer', timer: 'rekey-ike', at });
  }

  private removeChild(child: ChildSaState): void {
    if (!this.children.includes(child)) return; // already gone (hard expiry before its delete)
    this.children = this.children.filter((c) => c !== child);
    this.out.push({ type: 'remove-child-sa', spiIn: child.keys.spiIn, spiOut: child.keys.spiOut });
    this.armExpireChild();
  }

  // ── Hard lifetimes (RFC 7296 §2.8; strongSwan's life_time after rekey_time) ──────────────

  /** When the 'expire-child' timer is armed for (the earliest hard limit of our Child SAs). */
  private expireChildAt: number | undefined;
  /** The current IKE SA's hard limit. */
  private ikeExpiresAt: number | undefined;

  /** Keeps one 'expire-child' timer at the earliest hard limit; output only when it changes. */
  private armExpireChild(): void {
    let at: number | undefined;
    for (const c of this.children)
      if (c.expiresAt !== undefined && (at === undefined || c.expiresAt < at)) at = c.expiresAt;
    if (at === this.expireChildAt) return;
    this.expireChildAt = at;
    if (at === undefined) this.out.push({ type: 'cancel-timer', timer: 'expire-child' });
    else this.out.push({ type: 'arm-timer', timer: 'expire-child', at });
  }

  private armExpireIke(now: number): void {
    const life = this.config.ikeLifetimeMs;
    if (!life || life <= 0) return;
    this.ikeExpiresAt = now + life;
    this.out.push({ type: 'arm-timer', timer: 'expire-ike', at: this.ikeExpiresAt });
  }

  /**
   * Child SAs past their hard lifetime: their rekey did not complete in time (the gateway did not
   * answer it, or refused it). The SA is no longer used (remove-child-sa at once), the gateway is
   * told (INFORMATIONAL { D(ESP) }), and a new Child SA is created as after a peer's delete. An
   * old SA already replaced by a rekey is only removed (its delete is on its way).
   */
  private expireChildren(now: number): void {
    this.expireChildAt = undefined; // the timer fired
    if (this.phase !== 'established') return this.armExpireChild();
    const expired = this.children.filter((c) => c.expiresAt !== undefined && c.expiresAt <= now);
    let current = false;
    for (const child of expired) {
      this.removeChild(child);
      if (child.rekeyed) continue;
      current = true;
      this.dropped(
        `Child SA ${child.keys.spiIn.toString(16)} reached its hard lifetime without a completed rekey: deleted, creating a new one`,
      );
      const del: Payload = {
        type: PayloadType.DELETE,
        protocolId: ProtocolId.ESP,
        spis: [be32(child.keys.spiIn)],
      };
      this.enqueue(
        (t) =>
          this.sendProtected(
            t,
            ExchangeType.INFORMATIONAL,
            [del],
            'an expired Child SA delete',
            () => {
              // nothing left to remove: the SA is gone since it expired
            },
          ),
        now,
      );
    }
    this.armExpireChild();
    if (current)
      // A rekey still in flight may yet install a successor; only without one is a new SA made.
      this.enqueue((t) => {
        if (!this.currentChild()) this.startChildRekey(t);
      }, now);
  }

  /** The IKE SA's hard lifetime: no rekey completed in time. Delete it and let the runtime reconnect. */
  private expireIke(now: number): void {
    if (this.phase !== 'established' || this.ikeExpiresAt === undefined) return;
    if (now < this.ikeExpiresAt) {
      // a stale expiry (the SA was rekeyed meanwhile): wait for the current one
      this.out.push({ type: 'arm-timer', timer: 'expire-ike', at: this.ikeExpiresAt });
      return;
    }
    const rekeying = this.ikeRekeyInFlight ? ' (a rekey was still in flight)' : '';
    this.startDelete(now, {
      code: 'sa-expired',
      detail: `no IKE SA rekey completed within ${Math.round((this.config.ikeLifetimeMs ?? 0) / 1000)} s${rekeying}`,
    });
  }

  // ── Timers ───────────────────────────────────────────────────────────────────────────────

  private onTimer(timer: IkeTimer, now: number): void {
    switch (timer) {
      case 'retransmit':
        return this.retransmit(now);
      case 'dpd':
        if (this.phase !== 'established' || this.config.dpdDelayMs <= 0) return;
        if (now - this.lastInbound >= this.config.dpdDelayMs)
          this.enqueue((t) => this.sendDpd(t), now, 'dpd');
        else this.armDpd(now);
        return;
      case 'natt-keepalive':
        if (this.phase !== 'established') return;
        this.out.push({ type: 'send-keepalive', from: this.local, to: this.remote });
        this.armKeepalive(now);
        return;
      case 'rekey-child': {
        if (this.phase !== 'established') return;
        // The Child SA current now; if a rekey replaces it before this one runs, this one lapses.
        const child = this.currentChild();
        if (child?.rekeying) return;
        if (child) child.rekeying = true;
        this.enqueue((t) => this.startChildRekey(t, child), now);
        return;
      }
      case 'rekey-ike':
        if (this.phase === 'established')
          this.enqueue((t) => this.startIkeRekey(t), now, 'rekey-ike');
        return;
      case 'expire-child':
        return this.expireChildren(now);
      case 'expire-ike':
        return this.expireIke(now);
      case 'half-open':
      case 'delete-rekeyed':
        return;
    }
  }

  private armDpd(now: number): void {
    if (this.config.dpdDelayMs <= 0 || this.phase !== 'established') return;
    this.out.push({
      type: 'arm-timer',
      timer: 'dpd',
      // strongSwan: reschedule at last inbound + dpd_delay (never in the past)
      at: Math.max(now + 1, this.lastInbound + this.config.dpdDelayMs),
    });
  }

  private armKeepalive(now: number): void {
    this.out.push({
      type: 'arm-timer',
      timer: 'natt-keepalive',
      at: now + NATT_KEEPALIVE_INTERVAL_MS,
    });
  }

  private retransmit(now: number): void {
    const f = this.inFlight;
    if (!f) return;
    f.attempt++;
    const wait = retransmitDelay(f.attempt, this.maxTriesFor(f));
    if (f.attempt > this.maxTriesFor(f).tries || wait === undefined) {
      this.inFlight = undefined;
      if (this.phase === 'deleting')
        return this.close(this.pendingCloseReason ?? { kind: 'deleted-by-us' });
      if (this.fallBackToAdditionalAddress(f, now)) return;
      // No genuine IKE_SA_INIT answer: the refusal we were sent is the better diagnosis.
      if (f.exchange === ExchangeType.IKE_SA_INIT && this.initRejection)
        return this.fail(this.initRejection.error);
      return this.fail({
        code: 'peer-unreachable',
        server: this.config.serverName,
        afterMs: now - f.firstSentAt,
        stage: f.stage,
        fragmentationHint:
          f.exchange === ExchangeType.IKE_AUTH &&
          (!this.config.fragmentation || !this.peerFragmentation),
      });
    }
    this.event({ kind: 'retransmit', exchange: f.stage, attempt: f.attempt });
    if (f.exchange === ExchangeType.IKE_SA_INIT) this.initTransmissions++;
    for (const d of f.datagrams) this.sendDatagram(d);
    this.out.push({ type: 'arm-timer', timer: 'retransmit', at: now + wait });
  }

  private deleteTries = 0;
  private maxTriesFor(f: InFlight): { timeoutMs: number; base: number; tries: number } {
    return f.stage === 'the delete'
      ? { ...this.config.retransmit, tries: this.deleteTries }
      : this.config.retransmit;
  }

  // ── Sending ──────────────────────────────────────────────────────────────────────────────

  private sendProtected(
    now: number,
    exchange: number,
    payloads: Payload[],
    stage: string,
    onResponse: InFlight['onResponse'],
    opts: { tries?: number; sa?: IkeSaState } = {},
  ): void {
    const ike = opts.sa ?? this.ike!;
    const messageId = ike.nextRequestId++;
    const msg = this.protectedMessage(ike, exchange, messageId, false, payloads);
    if (opts.tries !== undefined) this.deleteTries = opts.tries;
    this.sendRequest(now, {
      exchange,
      messageId,
      datagrams: this.encode(ike, msg),
      stage,
      onResponse,
      sa: ike,
    });
  }

  private protectedMessage(
    ike: IkeSaState,
    exchange: number,
    messageId: number,
    response: boolean,
    payloads: Payload[],
  ): IkeMessage {
    return {
      spiI: ike.spiI,
      spiR: ike.spiR,
      exchangeType: exchange,
      initiator: ike.weAreInitiator,
      response,
      higherVersion: false,
      messageId,
      payloads,
      encrypted: true,
    };
  }

  /** Encrypts, fragmenting when the peer supports it and the message is too large (RFC 7383). */
  private encode(ike: IkeSaState, msg: IkeMessage): Uint8Array[] {
    const cipher = ike.out;
    const whole = encodeMessage(msg, cipher);
    const limit =
      this.config.fragmentSize - ipUdpOverhead(this.remote.address) - NON_ESP_MARKER_LENGTH;
    if (this.config.fragmentation && this.peerFragmentation && whole.length > limit)
      return encodeFragments(msg, cipher, limit);
    return [whole];
  }

  private sendRequest(now: number, f: Omit<InFlight, 'attempt' | 'firstSentAt'>): void {
    this.inFlight = { ...f, attempt: 0, firstSentAt: now };
    for (const d of f.datagrams) this.sendDatagram(d);
    this.out.push({
      type: 'arm-timer',
      timer: 'retransmit',
      at: now + (retransmitDelay(0, this.config.retransmit) ?? 0),
    });
  }

  private sendDatagram(bytes: Uint8Array): void {
    this.out.push({
      type: 'send',
      bytes,
      from: this.local,
      to: this.remote,
      nonEspMarker: this.floated,
    });
  }

  private clearInFlight(): void {
    if (!this.inFlight) return;
    this.inFlight = undefined;
    this.out.push({ type: 'cancel-timer', timer: 'retransmit' });
  }

  // ── Ending ───────────────────────────────────────────────────────────────────────────────

  private fail(error: IkeError): void {
    if (
      this.ike &&
      (this.phase === 'established' || this.phase === 'ike-auth') &&
      error.code !== 'peer-unreachable'
    ) {
      // Authenticated or not, tell the peer we are gone when we can.
      if (this.phase === 'established') return this.startDelete(this.clock, error);
    }
    this.close({ kind: 'failed', error });
  }

  private close(reason: IkeCloseReason): void {
    if (this.phase === 'closed') return;
    for (const c of this.children)
      this.out.push({ type: 'remove-child-sa', spiIn: c.keys.spiIn, spiOut: c.keys.spiOut });
    this.children = [];
    this.phase = 'closed';
    this.inFlight = undefined;
    for (const t of [
      'retransmit',
      'dpd',
      'natt-keepalive',
      'rekey-child',
      'rekey-ike',
      'expire-child',
      'expire-ike',
    ] as const)
      this.out.push({ type: 'cancel-timer', timer: t });
    this.out.push({ type: 'closed', reason });
  }

  private event(event: IkeTimelineEvent): void {
    this.out.push({ type: 'event', event });
  }

  private dropped(reason: string): void {
    this.event({ kind: 'dropped', reason });
  }
}

/**
 * The selectors that can carry traffic: a local IPv4 range pairs only with remote IPv4 ranges
 * (strongSwan installs policies per family alike). When we asked for IPv6 and the gateway
 * assigned no IPv6 address it narrows TSi to our IPv4 address but may still return ::/0 in TSr;
 * that remote IPv6 range has no local partner, so it is left out of what the data plane and the
 * routes see — IPv6 then stays blocked as in an IPv4-only tunnel instead of being sent into an
 * SA the gateway drops it from. Unchanged when no family is shared (nothing better to offer).
 */
function sameFamilyPairs(
  local: readonly TrafficSelector[],
  remote: readonly TrafficSelector[],
): [TrafficSelector[], TrafficSelector[]] {
  const types = (l: readonly TrafficSelector[]) => new Set(l.map((t) => t.tsType));
  const lt = types(local);
  const rt = types(remote);
  const l = local.filter((t) => rt.has(t.tsType));
  const r = remote.filter((t) => lt.has(t.tsType));
  return l.length && r.length ? [l, r] : [[...local], [...remote]];
}

function findId(payloads: readonly Payload[], type: IdPayload['type']): IdPayload | undefined {
  return payloads.find((p): p is IdPayload => p.type === type);
}

function findTs(payloads: readonly Payload[], type: TsPayload['type']): TsPayload | undefined {
  return payloads.find((p): p is TsPayload => p.type === type);
}

function u16List(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => {
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function readU16List(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push((data[i]! << 8) | data[i + 1]!);
  return out;
}

/** A whole EAP packet: Code | Identifier | Length | Type | Type-Data (RFC 3748 §4). */
function eapPacketBytes(
  code: number,
  identifier: number,
  type: number,
  data: Uint8Array,
): Uint8Array {
  const len = 5 + data.length;
  return concat(Uint8Array.from([code, identifier, len >> 8, len & 0xff, type]), data);
}

/**
 * NAT detection (RFC 7296 §2.23): the peer's NAT_DETECTION_SOURCE_IP hashes where it sent from
 * (a mismatch with where we sent to: it is behind a NAT), its NAT_DETECTION_DESTINATION_IP where
 * it saw us (a mismatch with our address: we are). Undefined when it sent neither kind.
 */
function detectNat(
  notifies: readonly NotifyLike[],
  spiI: Uint8Array,
  spiR: Uint8Array,
  local: Endpoint,
  remote: Endpoint,
): { local: boolean; remote: boolean } | undefined {
  const src = notifies.filter((n) => n.notifyType === NotifyStatusType.NAT_DETECTION_SOURCE_IP);
  const dst = notifies.filter(
    (n) => n.notifyType === NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
  );
  if (!src.length || !dst.length) return undefined;
  const expectRemote = natDetectionHash(spiI, spiR, remote.address, remote.port);
  const expectLocal = natDetectionHash(spiI, spiR, local.address, local.port);
  return {
    remote: !src.some((n) => constantTimeEqual(n.data, expectRemote)),
    local: !dst.some((n) => constantTimeEqual(n.data, expectLocal)),
  };
}

/** The Notify payload fields the address handling reads. */
interface NotifyLike {
  notifyType: number;
  data: Uint8Array;
}

/** The KE payload fields answerIkeRekey needs. */
interface KePayloadLike {
  group: number;
  data: Uint8Array;
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────

const ZERO_SPI = new Uint8Array(8);

function notify(
  type: number,
  data: Uint8Array,
  protocolId = 0,
  spi: Uint8Array = new Uint8Array(0),
): Payload {
  return { type: PayloadType.NOTIFY, protocolId, spi, notifyType: type, data };
}

function nonZero(random: IkeSessionConfig['random'], n: number): Uint8Array {
  for (;;) {
    const b = random.bytes(n);
    if (b.some((x) => x !== 0)) return b;
  }
}

function randomIpv4(config: IkeSessionConfig): string {
  return bytesToIp(config.random.bytes(4));
}

/** The ID payload body as signed: ID Type | RESERVED(3) | data. */
function idBody(idType: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([idType, 0, 0, 0]), data);
}

function formatId(idType: number, data: Uint8Array): string {
  if ((idType === 1 && data.length === 4) || (idType === 5 && data.length === 16))
    return bytesToIp(data);
  if (idType === 2 || idType === 3) return new TextDecoder().decode(data);
  return `ID type ${idType} (${data.length} bytes)`;
}

function u32(b: Uint8Array): number {
  return ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
}

function be32(n: number): Uint8Array {
  return Uint8Array.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function be16(n: number): Uint8Array {
  return Uint8Array.from([(n >> 8) & 0xff, n & 0xff]);
}

/** Orders nonces as strongSwan does: memcmp over the shorter length, then the shorter first. */
function compareNonces(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function lowest(nonces: readonly Uint8Array[]): Uint8Array {
  return nonces.reduce((m, x) => (compareNonces(x, m) < 0 ? x : m));
}

/**
 * RFC 7296 §2.8.1: of two crossing rekeys, the SA created with the lowest of the four nonces is
 * redundant. True when that is the one created by the exchange with `ours`' nonces.
 */
export function createdRedundant(
  ours: readonly Uint8Array[],
  theirs: readonly Uint8Array[],
): boolean {
  return compareNonces(lowest(ours), lowest(theirs)) < 0;
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function maskBits(mask: Uint8Array): number {
  let bits = 0;
  for (const byte of mask) bits += [...byte.toString(2)].filter((c) => c === '1').length;
  return bits;
}

function ipUdpOverhead(address: string): number {
  return (address.includes(':') ? 40 : 20) + 8;
}

/** As responder of a CREATE_CHILD_SA: one transform per type from their proposal that we allow. */
function chooseFrom(
  theirs: SaProposal,
  mine: readonly SaProposal[],
  spiLength = 4,
): { proposal: SaProposal; algorithms: NegotiatedAlgorithms } | undefined {
  for (const m of mine) {
    const picked: SaProposal['transforms'] = [];
    const types = new Set(theirs.transforms.map((t) => t.transformType));
    let ok = true;
    for (const type of types) {
      const t = theirs.transforms.find(
        (x) =>
          x.transformType === type &&
          m.transforms.some(
            (y) =>
              y.transformType === x.transformType &&
              y.transformId === x.transformId &&
              JSON.stringify(y.attributes) === JSON.stringify(x.attributes),
          ),
      );
      // A KE of NONE (0) they offer is acceptable even if we did not list PFS.
      const none =
        type === TransformType.KE
          ? theirs.transforms.find(
              (x) => x.transformType === TransformType.KE && x.transformId === 0,
            )
          : undefined;
      const pick = t ?? none;
      if (!pick) {
        ok = false;
        break;
      }
      picked.push(pick);
    }
    if (!ok) continue;
    const sel = checkSelectedProposal([theirs], [{ ...theirs, transforms: picked }], spiLength);
    if (sel.ok) return { proposal: { ...theirs, transforms: picked }, algorithms: sel.algorithms };
  }
  return undefined;
}
