/**
 * A minimal IKEv2 responder for in-memory exchange tests, built from our own codec and crypto.
 * It does nothing on its own: each test calls one method per hop, so the script reads like the
 * exchange (strongSwan's test_ike_delete.c style). It is the gateway side of RFC 7296:
 *
 *   - it sends without the I flag and with the R flag on responses, protects with SK_er/SK_ar and
 *     opens with SK_ei/SK_ai;
 *   - its NAT_DETECTION_SOURCE_IP hashes its own address and port, NAT_DETECTION_DESTINATION_IP
 *     the address it saw the request come from (§2.23) — or a fake one, to simulate a NAT;
 *   - its own requests (liveness, DELETE, CREATE_CHILD_SA) use its own message-ID counter.
 *
 * A responder built from our codec can hide bugs symmetric with the initiator's; the interop
 * suite against strongSwan covers that. This one makes every hop deterministic and inspectable.
 */
import { concat } from '../../native-helper/ike/crypto/hash.js';
import { signedOctets, verifyPskAuth, pskAuth } from '../../native-helper/ike/crypto/auth.js';
import { createKeyExchange, type KeyExchange } from '../../native-helper/ike/crypto/ke.js';
import {
  deriveChildSaKeys,
  deriveIkeSaKeys,
  rekeyedSkeyseed,
  skeyseed,
  type ChildSaKeys as KeymatChildKeys,
  type IkeSaKeys,
} from '../../native-helper/ike/crypto/keymat.js';
import { natDetectionHash } from '../../native-helper/ike/crypto/nat-detection.js';
import {
  CERT_ENCODING_X509_SIGNATURE,
  parseCertificate,
} from '../../native-helper/ike/crypto/certificate.js';
import type { CertificateProvider } from '../../native-helper/ike/crypto/certificate-provider.js';
import type { SignatureProvider } from '../../native-helper/ike/crypto/signature-provider.js';
import { signAuth, verifyAuth } from '../../native-helper/ike/crypto/signature.js';
import {
  MSCHAPV2_OP_CHALLENGE,
  MSCHAPV2_OP_FAILURE,
  MSCHAPV2_OP_SUCCESS,
  formatAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  mschapv2Msk,
  mschapv2UserName,
  ntPasswordHash,
} from '../../native-helper/ike/crypto/eap-mschapv2.js';
import { EapCode, EapType } from '../../native-helper/ike/message/eap-payload.js';
import type { Random } from '../../native-helper/ike/crypto/random.js';
import type { ModpProvider } from '../../native-helper/ike/crypto/modp-provider.js';
import type { SkCipher } from '../../native-helper/ike/crypto/sk-cipher.js';
import { createSkCipher } from '../../native-helper/ike/crypto/sk-ciphers.js';
import type { Endpoint } from '../../native-helper/ike/ike-events.js';
import {
  CfgType,
  CpAttributeType,
  type CpPayload,
} from '../../native-helper/ike/message/cp-payload.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { encodeIkeHeader } from '../../native-helper/ike/message/ike-header.js';
import {
  decodeMessage,
  encodeFragments,
  encodeMessage,
  FragmentReassembler,
  type IkeMessage,
} from '../../native-helper/ike/message/message.js';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { payloadsOf, type Payload } from '../../native-helper/ike/message/payload.js';
import { PayloadType, ProtocolId } from '../../native-helper/ike/message/payload-type.js';
import {
  encodeRedirectData,
  type RedirectTarget,
} from '../../native-helper/ike/message/redirect-data.js';
import {
  TransformType,
  transformKeyLength,
  type Proposal,
  type Transform,
} from '../../native-helper/ike/message/sa-payload.js';
import type { TrafficSelector } from '../../native-helper/ike/message/ts-payload.js';
import {
  cidrToRange,
  ipToBytes,
  rangeToSelector,
} from '../../native-helper/ike/traffic-selectors.js';

const NONCE_BYTES = 32;

export interface ResponderIdentity {
  idType: number;
  data: Uint8Array;
}

export interface ResponderConfig {
  /** Where the gateway listens (IKE_SA_INIT arrives on its port 500). */
  address: Endpoint;
  psk: Uint8Array;
  id: ResponderIdentity;
  random: Random;
  /** CP reply. */
  virtualIp?: string;
  dns?: string[];
  /**
   * INTERNAL_IP4_SUBNET attributes of the CP reply (RFC 7296 §3.15.1: address ‖ netmask, the
   * networks behind the gateway), sent when the CP request asks for INTERNAL_IP4_SUBNET.
   */
  subnets?: string[];
  /** What it returns as TSr (narrowed from what we asked); TSi is the virtual IP /32. */
  protectedSubnet?: string;
  /**
   * An IPv6 pool: when the CP request asks for INTERNAL_IP6_ADDRESS, the reply carries this
   * address (prefix 128, as strongSwan), `dns6` as INTERNAL_IP6_DNS and `subnets6` as
   * INTERNAL_IP6_SUBNET, and TSi gets the address /128. Without it the request goes unanswered.
   */
  virtualIp6?: string;
  dns6?: string[];
  subnets6?: string[];
  /** IPv6 networks it tunnels: added to TSr when the initiator's TSr has IPv6. */
  protectedSubnet6?: string;
  /** Prove itself with this certificate chain and key (signature AUTH) instead of the PSK. */
  cert?: { chain: Uint8Array[]; keyPem: string };
  /** node:crypto signatures and X.509, for `cert` and for verifying a client certificate. */
  pki?: SignatureProvider & CertificateProvider;
  /** EAP-MSCHAPv2 credentials it accepts when the initiator sends no AUTH. */
  eap?: { username: string; password: string };
  /** MODP groups 14–16 (node:crypto in the helper): needed when the initiator offers them. */
  modp?: ModpProvider;
}

export interface InitOptions {
  /** Answer only N(COOKIE) with this value (RFC 7296 §2.6). */
  cookie?: Uint8Array;
  /** Answer only N(INVALID_KE_PAYLOAD) asking for this group (§1.3). */
  invalidKe?: number;
  /** Answer only this error notify (e.g. NO_PROPOSAL_CHOSEN). */
  error?: number;
  /** Compute NAT_DETECTION_DESTINATION_IP over this address instead of where the request came from (a NAT). */
  seenFrom?: Endpoint;
  /** Compute NAT_DETECTION_SOURCE_IP over this address instead of its own (it is behind a NAT). */
  selfAs?: Endpoint;
  fragmentation?: boolean;
  /**
   * Send N(SIGNATURE_HASH_ALGORITHMS) with these hashes (RFC 7427 §4; strongSwan sends 1–5):
   * the initiator may then sign with method 14.
   */
  signatureHashes?: number[];
  /** Replace the chosen proposal before it is sent (to answer with something never offered). */
  tamperChoice?: (chosen: Proposal) => Proposal;
  /** Set the I flag on the response (must be dropped). */
  initiatorFlag?: boolean;
  /** Answer only N(REDIRECT) to this gateway (RFC 5685 §4), echoing the request's Ni … */
  redirect?: RedirectTarget;
  /** … or this Nonce Data instead, or raw notify data instead of both. */
  redirectNonce?: Uint8Array;
  redirectData?: Uint8Array;
}

export interface AuthOptions {
  /** IDr to send (default: the configured identity). */
  id?: ResponderIdentity;
  /** Send an AUTH payload that does not verify. */
  corruptAuth?: boolean;
  tsi?: TrafficSelector[];
  tsr?: TrafficSelector[];
  /** Instead of SA/TS: this Child SA error notify (the IKE SA still comes up). */
  childError?: number;
  tamperChildChoice?: (chosen: Proposal) => Proposal;
  /** Fragment the response into datagrams of at most this many bytes (RFC 7383). */
  fragmentSize?: number;
  initiatorFlag?: boolean;
  /** A certificate to prove itself with this time (instead of the configured one). */
  cert?: { chain: Uint8Array[]; keyPem: string };
  /**
   * The signature AUTH method it uses (default: 14 when the initiator announced hashes, else
   * 9/10/11 for ECDSA). 1 is RSA PKCS#1 v1.5 with SHA-1, as old gateways sign.
   */
  gatewayMethod?: 1 | 9 | 10 | 11 | 14;
  /** EAP: corrupt the gateway's final AUTH(MSK). */
  corruptFinalAuth?: boolean;
  omitCp?: boolean;
  /** Answer IDr, AUTH and N(REDIRECT) to this gateway instead of the Child SA (RFC 5685 §6). */
  redirect?: RedirectTarget;
  /** Add N(MOBIKE_SUPPORTED) (RFC 4555 §3.1) … */
  mobike?: boolean;
  /** … and N(ADDITIONAL_IP4/IP6_ADDRESS) for each of these addresses (§3.6). */
  additionalAddresses?: string[];
}

export interface ResponderChildSa {
  /** SPI the initiator chose (its inbound, our outbound). */
  spiInitiator: number;
  /** SPI we chose (our inbound, the initiator's outbound). */
  spiResponder: number;
  /** KEYMAT as derived here: "I" keys protect initiator → responder of the creating exchange. */
  keys: KeymatChildKeys;
  /** True when the gateway started the exchange that created it (a rekey it initiated). */
  gatewayInitiated: boolean;
}

interface IkeSa {
  spiI: Uint8Array;
  spiR: Uint8Array;
  /** After an IKE rekey the gateway started, it is the new SA's initiator (RFC 7296 §2.18). */
  gatewayIsInitiator: boolean;
  /** Our request counter on this SA while it is not the current one. */
  savedNextRequestId?: number;
  prf: number;
  keys: IkeSaKeys;
  out: SkCipher;
  in: SkCipher;
  reassembler: FragmentReassembler;
}

interface PendingRekey {
  messageId: number;
  nonceI: Uint8Array;
  spiResponder: Uint8Array;
  ke: KeyExchange | undefined;
  oldSpiResponder: number;
}

export class ScriptedResponder {
  readonly spiR: Uint8Array;
  readonly nonceR: Uint8Array;
  ike: IkeSa | undefined;
  /** The last IKE_SA_INIT request and response exactly as on the wire (for AUTH). */
  initRequest: Uint8Array | undefined;
  initResponse: Uint8Array | undefined;
  nonceI: Uint8Array | undefined;
  /** The proposals chosen in IKE_SA_INIT and IKE_AUTH. */
  ikeChoice: Proposal | undefined;
  childChoice: Proposal | undefined;
  /** The CP of the last IKE_AUTH request that reached the Child SA part (undefined: none). */
  lastCpRequest: CpPayload | undefined;
  /** Whether the initiator's NAT_DETECTION_SOURCE_IP disagreed with where its request came from. */
  initiatorBehindNat = false;
  /** Whether the initiator's AUTH verified with our PSK. */
  initiatorAuthVerified = false;
  childSas: ResponderChildSa[] = [];
  /** Our own requests' message IDs (the initiator's are independent, §2.2). */
  nextRequestId = 0;
  private pendingRekey: PendingRekey | undefined;
  private pendingIkeRekey:
    { messageId: number; ke: KeyExchange; spiI: Uint8Array; nonceI: Uint8Array } | undefined;
  /** The IKE SA replaced by the last rekey, until deleteOldIke(). */
  oldIke: IkeSa | undefined;

  constructor(readonly config: ResponderConfig) {
    this.spiR = config.random.bytes(8);
    this.nonceR = config.random.bytes(NONCE_BYTES);
  }

  // ── IKE_SA_INIT ──────────────────────────────────────────────────────────────────────────

  /** Decodes an IKE_SA_INIT request (plaintext). */
  readInit(bytes: Uint8Array): IkeMessage {
    const r = decodeMessage(bytes);
    if (!r.ok) throw new Error(`responder: undecodable IKE_SA_INIT (${r.error.message})`);
    const m = r.message;
    if (m.exchangeType !== ExchangeType.IKE_SA_INIT || m.response || !m.initiator)
      throw new Error('responder: not an IKE_SA_INIT request');
    return m;
  }

  /**
   * Answers an IKE_SA_INIT request that came from `from`. Unless an option makes it answer with
   * a single notify, it picks the first offered proposal (with the group of the KE payload) and
   * derives the IKE SA keys.
   */
  answerInit(bytes: Uint8Array, from: Endpoint, opts: InitOptions = {}): Uint8Array {
    const req = this.readInit(bytes);
    const header = {
      spiI: req.spiI,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: opts.initiatorFlag ?? false,
      response: true,
      higherVersion: false,
      messageId: 0,
      encrypted: false,
    };
    const onlyNotify = (type: number, data: Uint8Array): Uint8Array =>
      encodeMessage({ ...header, spiR: new Uint8Array(8), payloads: [notify(type, data)] });
    if (opts.cookie) return onlyNotify(NotifyStatusType.COOKIE, opts.cookie);
    if (opts.invalidKe !== undefined)
      return onlyNotify(NotifyErrorType.INVALID_KE_PAYLOAD, be16(opts.invalidKe));
    if (opts.error !== undefined) return onlyNotify(opts.error, new Uint8Array(0));
    if (opts.redirectData) return onlyNotify(NotifyStatusType.REDIRECT, opts.redirectData);
    if (opts.redirect) {
      const [n] = payloadsOf(req.payloads, PayloadType.NONCE);
      const nonce = opts.redirectNonce ?? n?.nonce ?? new Uint8Array(0);
      return onlyNotify(
        NotifyStatusType.REDIRECT,
        encodeRedirectData({ target: opts.redirect, nonce }),
      );
    }

    const [sa] = payloadsOf(req.payloads, PayloadType.SA);
    const [kei] = payloadsOf(req.payloads, PayloadType.KE);
    const [ni] = payloadsOf(req.payloads, PayloadType.NONCE);
    if (!sa || !kei || !ni) throw new Error('responder: IKE_SA_INIT without SA, KE or Ni');
    const offered = sa.proposals.find((p) =>
      p.transforms.some((t) => t.transformType === TransformType.KE && t.transformId === kei.group),
    );
    if (!offered) throw new Error(`responder: KE group ${kei.group} in no proposal`);
    const chosen = pickOnePerType(
      offered,
      (t) => t.transformType !== TransformType.KE || t.transformId === kei.group,
    );
    const sent = opts.tamperChoice ? opts.tamperChoice(chosen) : chosen;
    this.ikeChoice = chosen;

    const natSrc = payloadsOf(req.payloads, PayloadType.NOTIFY).find(
      (n) => n.notifyType === NotifyStatusType.NAT_DETECTION_SOURCE_IP,
    );
    this.initiatorBehindNat =
      !natSrc ||
      !bytesEq(natSrc.data, natDetectionHash(req.spiI, new Uint8Array(8), from.address, from.port));

    const ke = this.keyExchange(kei.group);
    const payloads: Payload[] = [
      { type: PayloadType.SA, proposals: [sent] },
      { type: PayloadType.KE, group: kei.group, data: ke.publicValue },
      { type: PayloadType.NONCE, nonce: this.nonceR },
      notify(
        NotifyStatusType.NAT_DETECTION_SOURCE_IP,
        natDetectionHash(
          req.spiI,
          this.spiR,
          (opts.selfAs ?? this.config.address).address,
          (opts.selfAs ?? this.config.address).port,
        ),
      ),
      notify(
        NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
        natDetectionHash(
          req.spiI,
          this.spiR,
          (opts.seenFrom ?? from).address,
          (opts.seenFrom ?? from).port,
        ),
      ),
    ];
    if (opts.fragmentation)
      payloads.push(notify(NotifyStatusType.FRAGMENTATION_SUPPORTED, new Uint8Array(0)));
    if (opts.signatureHashes)
      payloads.push(
        notify(
          NotifyStatusType.SIGNATURE_HASH_ALGORITHMS,
          Uint8Array.from(opts.signatureHashes.flatMap((h) => [h >> 8, h & 0xff])),
        ),
      );
    const response = encodeMessage({ ...header, spiR: this.spiR, payloads });

    const shared = ke.computeSharedSecret(kei.data);
    if (!shared.ok) throw new Error(`responder: ${shared.message}`);
    const alg = algorithmsOf(chosen);
    const seed = skeyseed(alg.prf!, ni.nonce, this.nonceR, shared.sharedSecret);
    const keys = deriveIkeSaKeys(
      { encr: alg.encr, encrKeyBits: alg.encrKeyBits, prf: alg.prf!, integ: alg.integ },
      seed,
      { nonceI: ni.nonce, nonceR: this.nonceR, spiI: req.spiI, spiR: this.spiR },
    );
    const inCipher = createSkCipher(
      alg.encr,
      alg.encrKeyBits,
      alg.integ,
      keys.skEi,
      keys.skAi,
      this.config.random,
    );
    this.ike = {
      spiI: req.spiI,
      spiR: this.spiR,
      gatewayIsInitiator: false,
      prf: alg.prf!,
      keys,
      // The responder protects with SK_er/SK_ar and opens with SK_ei/SK_ai (RFC 7296 §2.14).
      out: createSkCipher(
        alg.encr,
        alg.encrKeyBits,
        alg.integ,
        keys.skEr,
        keys.skAr,
        this.config.random,
      ),
      in: inCipher,
      reassembler: new FragmentReassembler(inCipher),
    };
    this.initRequest = bytes;
    this.initResponse = response;
    this.nonceI = ni.nonce;
    return response;
  }

  // ── Protected messages ───────────────────────────────────────────────────────────────────

  /** Decrypts one of the initiator's messages (a whole message, or all its SKF fragments). */
  open(datagrams: Uint8Array | Uint8Array[]): IkeMessage {
    const list = Array.isArray(datagrams) ? datagrams : [datagrams];
    // the IKE SA named by the header's SPIs (after a rekey, messages may still use the old one)
    const ike = this.saOf(list[0]!) ?? this.sa();
    if (list.length === 1 && list[0]![16] !== PayloadType.SKF) {
      const r = decodeMessage(list[0]!, ike.in);
      if (!r.ok) throw new Error(`responder: cannot open (${r.error.message})`);
      return r.message;
    }
    ike.reassembler.reset();
    for (const [i, d] of list.entries()) {
      const r = ike.reassembler.push(d);
      if (r.status === 'complete') {
        if (i !== list.length - 1) throw new Error('responder: complete before the last fragment');
        return r.message;
      }
      if (r.status !== 'incomplete') throw new Error(`responder: fragment ${i + 1} ${r.status}`);
    }
    throw new Error('responder: fragments incomplete');
  }

  /** Encodes a message from the gateway: no I flag, protected with SK_er. */
  protect(
    m: { exchangeType: number; response: boolean; messageId: number; payloads: Payload[] },
    opts: { fragmentSize?: number; initiatorFlag?: boolean; on?: IkeSa } = {},
  ): Uint8Array[] {
    const ike = opts.on ?? this.sa();
    const msg: IkeMessage = {
      spiI: ike.spiI,
      spiR: ike.spiR,
      exchangeType: m.exchangeType,
      initiator: opts.initiatorFlag ?? ike.gatewayIsInitiator,
      response: m.response,
      higherVersion: false,
      messageId: m.messageId,
      payloads: m.payloads,
      encrypted: true,
    };
    return opts.fragmentSize
      ? encodeFragments(msg, ike.out, opts.fragmentSize)
      : [encodeMessage(msg, ike.out)];
  }

  /**
   * Seals raw inner payload bytes as an SK payload on the current IKE SA: to send, authenticated,
   * what our own encoder refuses to write (an unknown critical payload, a broken inner chain).
   */
  protectRaw(
    m: { exchangeType: number; response: boolean; messageId: number },
    inner: Uint8Array,
    firstPayload: number,
  ): Uint8Array {
    const ike = this.sa();
    const skLength = 4 + ike.out.sealedLength(inner.length);
    const aad = concat(
      encodeIkeHeader({
        spiI: ike.spiI,
        spiR: ike.spiR,
        nextPayload: PayloadType.SK,
        exchangeType: m.exchangeType,
        initiator: ike.gatewayIsInitiator,
        higherVersion: false,
        response: m.response,
        messageId: m.messageId,
        length: 28 + skLength,
      }),
      Uint8Array.of(firstPayload, 0, skLength >> 8, skLength & 0xff),
    );
    return concat(aad, ike.out.seal(aad, inner));
  }

  /** A response to one of the initiator's requests. */
  respond(request: IkeMessage, payloads: Payload[] = [], onOldSa = false): Uint8Array {
    // on the IKE SA the request came on
    const on = onOldSa ? this.oldIke! : this.saOf(concat(request.spiI, request.spiR));
    return this.protect(
      {
        exchangeType: request.exchangeType,
        response: true,
        messageId: request.messageId,
        payloads,
      },
      on ? { on } : {},
    )[0]!;
  }

  /** One of the gateway's own requests, with the next message ID (or a chosen one). */
  request(exchangeType: number, payloads: Payload[], messageId?: number): Uint8Array {
    const id = messageId ?? this.nextRequestId++;
    return this.protect({ exchangeType, response: false, messageId: id, payloads })[0]!;
  }

  // ── IKE_AUTH ─────────────────────────────────────────────────────────────────────────────

  /**
   * Answers the initiator's IKE_AUTH request: checks its AUTH against our PSK (AUTHENTICATION_FAILED
   * if it does not verify), then IDr, AUTH, CP(CFG_REPLY), SAr2 and narrowed TSi/TSr.
   */
  answerAuth(request: Uint8Array | Uint8Array[], opts: AuthOptions = {}): Uint8Array[] {
    const ike = this.sa();
    const req = this.open(request);
    if (req.exchangeType !== ExchangeType.IKE_AUTH || req.response)
      throw new Error('responder: not an IKE_AUTH request');
    const reply = (payloads: Payload[]): Uint8Array[] =>
      this.protect(
        { exchangeType: ExchangeType.IKE_AUTH, response: true, messageId: req.messageId, payloads },
        {
          ...(opts.fragmentSize !== undefined ? { fragmentSize: opts.fragmentSize } : {}),
          ...(opts.initiatorFlag ? { initiatorFlag: true } : {}),
        },
      );
    const idi = req.payloads.find((p) => p.type === PayloadType.IDI);
    const [auth] = payloadsOf(req.payloads, PayloadType.AUTH);
    if (!idi || idi.type !== PayloadType.IDI) throw new Error('responder: no IDi');
    const initiatorOctets = signedOctets(
      this.initRequest!,
      this.nonceR,
      ike.prf,
      ike.keys.skPi,
      idBody(idi.idType, idi.data),
    );
    if (!auth) {
      // EAP (RFC 7296 §2.16): we prove ourselves first, then EAP-Request/Identity.
      if (!this.config.eap) throw new Error('responder: no AUTH and no EAP configured');
      this.eapState = { stage: 'identity', identifier: 1, initiatorOctets, authRequest: req, opts };
      return reply([
        ...this.gatewayIdAndAuth(opts),
        {
          type: PayloadType.EAP,
          code: EapCode.REQUEST,
          identifier: 1,
          eapType: EapType.IDENTITY,
          data: new Uint8Array(0),
        },
      ]);
    }
    this.initiatorAuthVerified =
      auth.method === 2
        ? verifyPskAuth(ike.prf, this.config.psk, initiatorOctets, auth.data)
        : this.verifyInitiatorSignature(req, auth.method, auth.data, initiatorOctets);
    if (!this.initiatorAuthVerified)
      return reply([notify(NotifyErrorType.AUTHENTICATION_FAILED, new Uint8Array(0))]);
    return this.finishAuth(req, this.gatewayIdAndAuth(opts), opts, reply);
  }

  /** IDr and AUTH: a PSK MAC, or CERT(s) and a signature when the gateway has a certificate. */
  private gatewayIdAndAuth(opts: AuthOptions): Payload[] {
    const ike = this.sa();
    const id = opts.id ?? this.config.id;
    const octets = signedOctets(
      this.initResponse!,
      this.nonceI!,
      ike.prf,
      ike.keys.skPr,
      idBody(id.idType, id.data),
    );
    const payloads: Payload[] = [{ type: PayloadType.IDR, idType: id.idType, data: id.data }];
    const cert = opts.cert ?? this.config.cert;
    if (cert) {
      for (const der of cert.chain)
        payloads.push({
          type: PayloadType.CERT,
          encoding: CERT_ENCODING_X509_SIGNATURE,
          data: der,
        });
      const hashes = payloadsOf(this.readInit(this.initRequest!).payloads, PayloadType.NOTIFY).find(
        (n) => n.notifyType === NotifyStatusType.SIGNATURE_HASH_ALGORITHMS,
      )?.data;
      const signed =
        opts.gatewayMethod === 1
          ? {
              ok: true as const,
              method: 1,
              authData: this.pki().sign(cert.keyPem, { kind: 'rsa-pkcs1', hash: 'sha1' }, octets),
            }
          : signAuth(
              this.pki(),
              cert.keyPem,
              opts.gatewayMethod ?? 'auto',
              octets,
              hashes ? u16s(hashes) : [],
            );
      if (!signed.ok) throw new Error(`responder: cannot sign (${signed.error.message})`);
      if (opts.corruptAuth) signed.authData[signed.authData.length - 1]! ^= 0xff;
      payloads.push({ type: PayloadType.AUTH, method: signed.method, data: signed.authData });
      return payloads;
    }
    const authData = pskAuth(ike.prf, this.config.psk, octets);
    if (opts.corruptAuth) authData[0] ^= 0xff;
    payloads.push({ type: PayloadType.AUTH, method: 2, data: authData });
    return payloads;
  }

  /** The initiator's signature AUTH, with the key of the first CERT it sent. */
  private verifyInitiatorSignature(
    req: IkeMessage,
    method: number,
    data: Uint8Array,
    octets: Uint8Array,
  ): boolean {
    const [cert] = payloadsOf(req.payloads, PayloadType.CERT);
    if (!cert) return false;
    return verifyAuth(this.pki(), parseCertificate(cert.data).spki, method, data, octets).ok;
  }

  private pki(): SignatureProvider & CertificateProvider {
    if (!this.config.pki) throw new Error('responder: certificates need config.pki');
    return this.config.pki;
  }

  /** The rest of the last IKE_AUTH response: CP, the Child SA's SA and TS. */
  private finishAuth(
    req: IkeMessage,
    payloads: Payload[],
    opts: AuthOptions,
    reply: (payloads: Payload[]) => Uint8Array[],
  ): Uint8Array[] {
    const ike = this.sa();
    if (opts.redirect) {
      payloads.push(
        notify(
          NotifyStatusType.REDIRECT,
          encodeRedirectData({ target: opts.redirect, nonce: new Uint8Array(0) }),
        ),
      );
      return reply(payloads);
    }
    const vip = this.config.virtualIp ?? '10.10.0.5';
    const [cpRequest] = payloadsOf(req.payloads, PayloadType.CP);
    this.lastCpRequest = cpRequest;
    const asked6 = cpRequest?.attributes.some(
      (a) => a.attributeType === CpAttributeType.INTERNAL_IP6_ADDRESS,
    );
    const askedSubnets = cpRequest?.attributes.some(
      (a) => a.attributeType === CpAttributeType.INTERNAL_IP4_SUBNET,
    );
    const vip6 = asked6 ? this.config.virtualIp6 : undefined;
    if (!opts.omitCp)
      payloads.push({
        type: PayloadType.CP,
        cfgType: CfgType.REPLY,
        attributes: [
          { attributeType: CpAttributeType.INTERNAL_IP4_ADDRESS, value: ipToBytes(vip)! },
          ...(this.config.dns ?? ['10.1.0.53']).map((d) => ({
            attributeType: CpAttributeType.INTERNAL_IP4_DNS,
            value: ipToBytes(d)!,
          })),
          ...(askedSubnets ? (this.config.subnets ?? []) : []).map((c) => {
            const [a, len] = c.split('/');
            const bits = Number(len);
            const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
            return {
              attributeType: CpAttributeType.INTERNAL_IP4_SUBNET,
              value: Uint8Array.of(...ipToBytes(a!)!, ...be32(mask)),
            };
          }),
          ...(vip6 !== undefined
            ? [
                {
                  attributeType: CpAttributeType.INTERNAL_IP6_ADDRESS,
                  value: Uint8Array.of(...ipToBytes(vip6)!, 128),
                },
                ...(this.config.dns6 ?? []).map((d) => ({
                  attributeType: CpAttributeType.INTERNAL_IP6_DNS,
                  value: ipToBytes(d)!,
                })),
                ...(this.config.subnets6 ?? []).map((c) => {
                  const [a, len] = c.split('/');
                  return {
                    attributeType: CpAttributeType.INTERNAL_IP6_SUBNET,
                    value: Uint8Array.of(...ipToBytes(a!)!, Number(len)),
                  };
                }),
              ]
            : []),
        ],
      });
    if (opts.mobike) payloads.push(notify(NotifyStatusType.MOBIKE_SUPPORTED, new Uint8Array(0)));
    for (const a of opts.additionalAddresses ?? [])
      payloads.push(
        notify(
          a.includes(':')
            ? NotifyStatusType.ADDITIONAL_IP6_ADDRESS
            : NotifyStatusType.ADDITIONAL_IP4_ADDRESS,
          ipToBytes(a)!,
        ),
      );
    if (opts.childError !== undefined) {
      payloads.push(notify(opts.childError, new Uint8Array(0)));
      return reply(payloads);
    }
    const [sa] = payloadsOf(req.payloads, PayloadType.SA);
    if (!sa?.proposals[0]) throw new Error('responder: IKE_AUTH without SAi2');
    const offered = sa.proposals[0];
    const spiResponder = nonZeroSpi(this.config.random);
    const chosen = { ...pickOnePerType(offered, () => true), spi: spiResponder };
    this.childChoice = chosen;
    payloads.push(
      {
        type: PayloadType.SA,
        proposals: [opts.tamperChildChoice ? opts.tamperChildChoice(chosen) : chosen],
      },
      {
        type: PayloadType.TSI,
        selectors: opts.tsi ?? [
          rangeToSelector(cidrToRange(`${vip}/32`)),
          ...(vip6 !== undefined ? [rangeToSelector(cidrToRange(`${vip6}/128`))] : []),
        ],
      },
      {
        type: PayloadType.TSR,
        selectors: opts.tsr ?? [
          rangeToSelector(cidrToRange(this.config.protectedSubnet ?? '10.1.0.0/16')),
          ...(this.config.protectedSubnet6 !== undefined && tsrHas6(req)
            ? [rangeToSelector(cidrToRange(this.config.protectedSubnet6))]
            : []),
        ],
      },
    );
    const alg = algorithmsOf(chosen);
    this.childSas.push({
      spiInitiator: u32(offered.spi),
      spiResponder: u32(spiResponder),
      keys: deriveChildSaKeys(
        ike.prf,
        ike.keys.skD,
        { nonceI: this.nonceI!, nonceR: this.nonceR },
        alg,
      ),
      gatewayInitiated: false,
    });
    return reply(payloads);
  }

  private eapState:
    | {
        stage: 'identity' | 'challenge' | 'success' | 'auth';
        identifier: number;
        initiatorOctets: Uint8Array;
        authRequest: IkeMessage;
        opts: AuthOptions;
        challenge?: Uint8Array;
        msk?: Uint8Array;
      }
    | undefined;

  /**
   * One EAP-MSCHAPv2 round as the gateway (RFC 7296 §2.16, draft-kamath, RFC 2759):
   *   EAP-Response/Identity      → EAP-Request/MSCHAPv2 Challenge
   *   MSCHAPv2 Response          → Success Request "S=… M=…" (or a Failure request / EAP-Failure)
   *   MSCHAPv2 Success Response  → EAP-Success
   *   AUTH(MSK)                  → AUTH(MSK), CP, SA, TSi, TSr   (or AUTHENTICATION_FAILED)
   */
  answerEap(
    request: Uint8Array,
    opts: { reject?: 'mschapv2-failure' | 'eap-failure'; wrongAuthenticator?: boolean } = {},
  ): Uint8Array[] {
    const st = this.eapState;
    if (!st) throw new Error('responder: no EAP in progress');
    const eapCfg = this.config.eap!;
    const req = this.open(request);
    const reply = (payloads: Payload[]): Uint8Array[] =>
      this.protect({
        exchangeType: ExchangeType.IKE_AUTH,
        response: true,
        messageId: req.messageId,
        payloads,
      });
    const [eap] = payloadsOf(req.payloads, PayloadType.EAP);
    if (st.stage === 'auth') {
      const [auth] = payloadsOf(req.payloads, PayloadType.AUTH);
      const ike = this.sa();
      this.initiatorAuthVerified =
        !!auth && !!st.msk && verifyPskAuth(ike.prf, st.msk, st.initiatorOctets, auth.data);
      if (!this.initiatorAuthVerified)
        return reply([notify(NotifyErrorType.AUTHENTICATION_FAILED, new Uint8Array(0))]);
      const id = st.opts.id ?? this.config.id;
      const octets = signedOctets(
        this.initResponse!,
        this.nonceI!,
        ike.prf,
        ike.keys.skPr,
        idBody(id.idType, id.data),
      );
      const mine = pskAuth(ike.prf, st.msk!, octets);
      if (st.opts.corruptFinalAuth) mine[0]! ^= 0xff;
      this.eapState = undefined;
      return this.finishAuth(
        st.authRequest, // SAi2, TSi, TSr came in the first IKE_AUTH request
        [{ type: PayloadType.AUTH, method: 2, data: mine }],
        st.opts,
        reply,
      );
    }
    if (!eap || eap.code !== EapCode.RESPONSE)
      throw new Error('responder: expected an EAP-Response');
    const id = ++st.identifier;
    if (st.stage === 'identity') {
      st.challenge = this.config.random.bytes(16);
      st.stage = 'challenge';
      const name = new TextEncoder().encode('vpn.example.com');
      const typeData = new Uint8Array(4 + 1 + 16 + name.length);
      typeData.set([MSCHAPV2_OP_CHALLENGE, id, typeData.length >> 8, typeData.length & 0xff, 16]);
      typeData.set(st.challenge, 5);
      typeData.set(name, 21);
      return reply([
        {
          type: PayloadType.EAP,
          code: EapCode.REQUEST,
          identifier: id,
          eapType: EapType.MSCHAPV2,
          data: typeData,
        },
      ]);
    }
    if (st.stage === 'challenge') {
      const d = eap.data; // OpCode Id MS-Length(2) Value-Size(1)=49 PeerChallenge(16) Reserved(8) NT(24) Flags Name
      const peerChallenge = d.slice(5, 21);
      const nt = d.slice(29, 53);
      const user = mschapv2UserName(new TextDecoder().decode(d.slice(54)));
      const hash = ntPasswordHash(eapCfg.password);
      const expected = generateNtResponse(st.challenge!, peerChallenge, user, hash);
      const ok = user === eapCfg.username && expected.every((b, i) => b === nt[i]);
      if (!ok || opts.reject) {
        if (opts.reject === 'eap-failure')
          return reply([{ type: PayloadType.EAP, code: EapCode.FAILURE, identifier: id }]);
        const text = new TextEncoder().encode('E=691 R=0 V=3 M=Authentication failed');
        const typeData = new Uint8Array(4 + text.length);
        typeData.set([MSCHAPV2_OP_FAILURE, id, typeData.length >> 8, typeData.length & 0xff]);
        typeData.set(text, 4);
        return reply([
          {
            type: PayloadType.EAP,
            code: EapCode.REQUEST,
            identifier: id,
            eapType: EapType.MSCHAPV2,
            data: typeData,
          },
        ]);
      }
      const authResp = generateAuthenticatorResponse(hash, nt, peerChallenge, st.challenge!, user);
      if (opts.wrongAuthenticator) authResp[0]! ^= 0xff;
      st.msk = mschapv2Msk(hash, nt);
      st.stage = 'success';
      const text = new TextEncoder().encode(`${formatAuthenticatorResponse(authResp)} M=Welcome`);
      const typeData = new Uint8Array(4 + text.length);
      typeData.set([MSCHAPV2_OP_SUCCESS, id, typeData.length >> 8, typeData.length & 0xff]);
      typeData.set(text, 4);
      return reply([
        {
          type: PayloadType.EAP,
          code: EapCode.REQUEST,
          identifier: id,
          eapType: EapType.MSCHAPV2,
          data: typeData,
        },
      ]);
    }
    // the Success Response: EAP-Success, then the AUTH exchange
    st.stage = 'auth';
    return reply([{ type: PayloadType.EAP, code: EapCode.SUCCESS, identifier: id }]);
  }

  // ── The gateway's own requests ───────────────────────────────────────────────────────────

  /** INFORMATIONAL {} : a liveness check. */
  liveness(messageId?: number): Uint8Array {
    return this.request(ExchangeType.INFORMATIONAL, [], messageId);
  }

  /** INFORMATIONAL { D(ESP, spi) }: deletes a Child SA by the SPI it receives on. */
  deleteChild(spiResponder: number): Uint8Array {
    return this.request(ExchangeType.INFORMATIONAL, [
      { type: PayloadType.DELETE, protocolId: ProtocolId.ESP, spis: [be32(spiResponder)] },
    ]);
  }

  /**
   * Answers the initiator's INFORMATIONAL { N(UPDATE_SA_ADDRESSES), N(COOKIE2), N(NAT_D_S),
   * N(NAT_D_D) } as strongSwan does: COOKIE2 echoed (RFC 4555 §3.5), its own NAT detection.
   */
  answerAddressUpdate(
    requestBytes: Uint8Array,
    opts: {
      cookie2?: Uint8Array | null;
      extra?: Payload[];
      /**
       * Add its NAT detection for the new path (as strongSwan does, §3.5): NAT_D_D over where it
       * saw the request come from (`seenFrom`), NAT_D_S over its own address (or `selfAs`).
       */
      natd?: { seenFrom: Endpoint; selfAs?: Endpoint };
    } = {},
  ): { response: Uint8Array; request: IkeMessage } {
    const req = this.open(requestBytes);
    const notifies = payloadsOf(req.payloads, PayloadType.NOTIFY);
    if (!notifies.some((n) => n.notifyType === NotifyStatusType.UPDATE_SA_ADDRESSES))
      throw new Error('responder: not an UPDATE_SA_ADDRESSES request');
    const cookie2 = notifies.find((n) => n.notifyType === NotifyStatusType.COOKIE2)?.data;
    const echo = opts.cookie2 === null ? undefined : (opts.cookie2 ?? cookie2);
    const payloads: Payload[] = echo ? [notify(NotifyStatusType.COOKIE2, echo)] : [];
    if (opts.natd) {
      const ike = this.saOf(requestBytes) ?? this.sa();
      const self = opts.natd.selfAs ?? { address: this.config.address.address, port: 4500 };
      payloads.push(
        notify(
          NotifyStatusType.NAT_DETECTION_SOURCE_IP,
          natDetectionHash(ike.spiI, ike.spiR, self.address, self.port),
        ),
        notify(
          NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
          natDetectionHash(ike.spiI, ike.spiR, opts.natd.seenFrom.address, opts.natd.seenFrom.port),
        ),
      );
    }
    payloads.push(...(opts.extra ?? []));
    return { response: this.respond(req, payloads), request: req };
  }

  /** INFORMATIONAL { D(IKE) }. */
  deleteIke(): Uint8Array {
    return this.request(ExchangeType.INFORMATIONAL, [
      { type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spis: [] },
    ]);
  }

  /**
   * CREATE_CHILD_SA { N(REKEY_SA, ESP, old SPI), SA, Ni, [KEi], TSi, TSr }: rekeys a Child SA.
   * With `pfsGroup` it offers that group and sends KEi.
   */
  rekeyChild(
    old: ResponderChildSa,
    pfsGroup?: number,
    ts: { tsi?: TrafficSelector[]; tsr?: TrafficSelector[]; nonce?: Uint8Array } = {},
  ): Uint8Array {
    const base = this.childChoice!;
    const spiResponder = nonZeroSpi(this.config.random);
    const nonceI = ts.nonce ?? this.config.random.bytes(NONCE_BYTES);
    const transforms: Transform[] = base.transforms.filter(
      (t) => t.transformType !== TransformType.KE,
    );
    let ke: KeyExchange | undefined;
    if (pfsGroup !== undefined) {
      transforms.push({ transformType: TransformType.KE, transformId: pfsGroup, attributes: [] });
      ke = this.keyExchange(pfsGroup);
    }
    const messageId = this.nextRequestId;
    this.pendingRekey = { messageId, nonceI, spiResponder, ke, oldSpiResponder: old.spiResponder };
    const vip = this.config.virtualIp ?? '10.10.0.5';
    const payloads: Payload[] = [
      notify(NotifyStatusType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, be32(old.spiResponder)),
      {
        type: PayloadType.SA,
        proposals: [{ number: 1, protocolId: ProtocolId.ESP, spi: spiResponder, transforms }],
      },
      { type: PayloadType.NONCE, nonce: nonceI },
    ];
    if (ke) payloads.push({ type: PayloadType.KE, group: ke.group, data: ke.publicValue });
    // The gateway is the initiator of this exchange: TSi is its side, TSr ours.
    payloads.push(
      {
        type: PayloadType.TSI,
        selectors: ts.tsi ?? [
          rangeToSelector(cidrToRange(this.config.protectedSubnet ?? '10.1.0.0/16')),
        ],
      },
      { type: PayloadType.TSR, selectors: ts.tsr ?? [rangeToSelector(cidrToRange(`${vip}/32`))] },
    );
    return this.request(ExchangeType.CREATE_CHILD_SA, payloads);
  }

  /** Reads the initiator's answer to rekeyChild and derives the new Child SA's keys. */
  completeRekey(responseBytes: Uint8Array): ResponderChildSa {
    const ike = this.sa();
    const p = this.pendingRekey;
    if (!p) throw new Error('responder: no rekey pending');
    const res = this.open(responseBytes);
    if (
      !res.response ||
      res.messageId !== p.messageId ||
      res.exchangeType !== ExchangeType.CREATE_CHILD_SA
    )
      throw new Error('responder: not the CREATE_CHILD_SA response');
    const [sa] = payloadsOf(res.payloads, PayloadType.SA);
    const [nr] = payloadsOf(res.payloads, PayloadType.NONCE);
    const [ker] = payloadsOf(res.payloads, PayloadType.KE);
    if (!sa?.proposals[0] || !nr) throw new Error('responder: rekey answer without SA or Nr');
    let shared: Uint8Array | undefined;
    if (p.ke) {
      if (!ker) throw new Error('responder: PFS rekey answer without KEr');
      const r = p.ke.computeSharedSecret(ker.data);
      if (!r.ok) throw new Error(`responder: ${r.message}`);
      shared = r.sharedSecret;
    }
    const alg = algorithmsOf(sa.proposals[0]);
    const child: ResponderChildSa = {
      spiInitiator: u32(sa.proposals[0].spi),
      spiResponder: u32(p.spiResponder),
      keys: deriveChildSaKeys(
        ike.prf,
        ike.keys.skD,
        { nonceI: p.nonceI, nonceR: nr.nonce, sharedSecret: shared },
        alg,
      ),
      gatewayInitiated: true,
    };
    this.childSas.push(child);
    this.pendingRekey = undefined;
    return child;
  }

  /**
   * Answers the initiator's CREATE_CHILD_SA { [N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr } with
   * { SA, Nr, [KEr], TSi, TSr } (selectors echoed) and derives the new Child SA's keys.
   */
  answerCreateChild(
    requestBytes: Uint8Array,
    opts: { omitKe?: boolean; nonce?: Uint8Array } = {},
  ): {
    response: Uint8Array;
    child: ResponderChildSa;
    request: IkeMessage;
  } {
    const ike = this.sa();
    const req = this.open(requestBytes);
    if (req.exchangeType !== ExchangeType.CREATE_CHILD_SA || req.response)
      throw new Error('responder: not a CREATE_CHILD_SA request');
    const [sa] = payloadsOf(req.payloads, PayloadType.SA);
    const [ni] = payloadsOf(req.payloads, PayloadType.NONCE);
    const [kei] = payloadsOf(req.payloads, PayloadType.KE);
    const tsi = req.payloads.find((p) => p.type === PayloadType.TSI);
    const tsr = req.payloads.find((p) => p.type === PayloadType.TSR);
    if (!sa?.proposals[0] || !ni || !tsi || !tsr)
      throw new Error('responder: incomplete CREATE_CHILD_SA');
    const offered = sa.proposals[0];
    const spiResponder = nonZeroSpi(this.config.random);
    const chosen = {
      ...pickOnePerType(
        offered,
        (t) => t.transformType !== TransformType.KE || t.transformId === kei?.group,
      ),
      spi: spiResponder,
    };
    const nonceR = opts.nonce ?? this.config.random.bytes(NONCE_BYTES);
    const payloads: Payload[] = [
      { type: PayloadType.SA, proposals: [chosen] },
      { type: PayloadType.NONCE, nonce: nonceR },
    ];
    let shared: Uint8Array | undefined;
    if (kei) {
      const ke = this.keyExchange(kei.group);
      const r = ke.computeSharedSecret(kei.data);
      if (!r.ok) throw new Error(`responder: ${r.message}`);
      shared = r.sharedSecret;
      if (!opts.omitKe)
        payloads.push({ type: PayloadType.KE, group: ke.group, data: ke.publicValue });
    }
    payloads.push(tsi, tsr);
    const child: ResponderChildSa = {
      spiInitiator: u32(offered.spi),
      spiResponder: u32(spiResponder),
      keys: deriveChildSaKeys(
        ike.prf,
        ike.keys.skD,
        { nonceI: ni.nonce, nonceR, sharedSecret: shared },
        algorithmsOf(chosen),
      ),
      gatewayInitiated: false,
    };
    this.childSas.push(child);
    return { response: this.respond(req, payloads), child, request: req };
  }

  /** CREATE_CHILD_SA { SA(IKE, new SPIi), Ni, KEi }: the gateway rekeys the IKE SA (§1.3.2). */
  rekeyIke(opts: { nonce?: Uint8Array } = {}): Uint8Array {
    const choice = this.ikeChoice!;
    const group = choice.transforms.find((t) => t.transformType === TransformType.KE)!.transformId;
    const ke = this.keyExchange(group);
    const spiI = this.config.random.bytes(8);
    const nonceI = opts.nonce ?? this.config.random.bytes(NONCE_BYTES);
    this.pendingIkeRekey = { messageId: this.nextRequestId, ke, spiI, nonceI };
    return this.request(ExchangeType.CREATE_CHILD_SA, [
      {
        type: PayloadType.SA,
        proposals: [{ ...choice, number: 1, protocolId: ProtocolId.IKE, spi: spiI }],
      },
      { type: PayloadType.NONCE, nonce: nonceI },
      { type: PayloadType.KE, group, data: ke.publicValue },
    ]);
  }

  /**
   * Reads the answer to rekeyIke and switches to the new IKE SA: SKEYSEED = prf(SK_d(old),
   * g^ir | Ni | Nr), the gateway as its initiator (SK_ei/SK_ai to send, the I flag set).
   */
  completeIkeRekey(responseBytes: Uint8Array): IkeSa {
    const old = this.saOf(responseBytes) ?? this.sa();
    const p = this.pendingIkeRekey;
    if (!p) throw new Error('responder: no IKE rekey pending');
    const res = this.open(responseBytes);
    if (!res.response || res.messageId !== p.messageId)
      throw new Error('responder: not the IKE rekey response');
    const [sa] = payloadsOf(res.payloads, PayloadType.SA);
    const [nr] = payloadsOf(res.payloads, PayloadType.NONCE);
    const [ker] = payloadsOf(res.payloads, PayloadType.KE);
    if (!sa?.proposals[0] || !nr || !ker)
      throw new Error('responder: IKE rekey answer without SA, Nr or KEr');
    const shared = p.ke.computeSharedSecret(ker.data);
    if (!shared.ok) throw new Error(`responder: ${shared.message}`);
    const alg = algorithmsOf(sa.proposals[0]);
    const seed = rekeyedSkeyseed(old.prf, old.keys.skD, shared.sharedSecret, p.nonceI, nr.nonce);
    const spiR = sa.proposals[0].spi;
    const keys = deriveIkeSaKeys(
      { encr: alg.encr, encrKeyBits: alg.encrKeyBits, prf: alg.prf!, integ: alg.integ },
      seed,
      { nonceI: p.nonceI, nonceR: nr.nonce, spiI: p.spiI, spiR },
    );
    const inCipher = createSkCipher(
      alg.encr,
      alg.encrKeyBits,
      alg.integ,
      keys.skEr,
      keys.skAr,
      this.config.random,
    );
    old.savedNextRequestId = this.nextRequestId;
    this.oldIke = old;
    this.ike = {
      spiI: p.spiI,
      spiR,
      gatewayIsInitiator: true,
      prf: alg.prf!,
      keys,
      out: createSkCipher(
        alg.encr,
        alg.encrKeyBits,
        alg.integ,
        keys.skEi,
        keys.skAi,
        this.config.random,
      ),
      in: inCipher,
      reassembler: new FragmentReassembler(inCipher),
    };
    this.allIkes.push(old, this.ike);
    this.nextRequestId = 0;
    this.pendingIkeRekey = undefined;
    return this.ike;
  }

  /**
   * Answers the initiator's CREATE_CHILD_SA { SA(IKE, SPIi'), Ni, KEi } with { SA(SPIr'), Nr,
   * KEr } on the current SA, then makes the new SA current (the initiator stays its initiator).
   */
  answerIkeRekey(
    requestBytes: Uint8Array,
    opts: { nonce?: Uint8Array; refuse?: number } = {},
  ): Uint8Array {
    const old = this.saOf(requestBytes) ?? this.sa();
    const req = this.open(requestBytes);
    const [sa] = payloadsOf(req.payloads, PayloadType.SA);
    const [ni] = payloadsOf(req.payloads, PayloadType.NONCE);
    const [kei] = payloadsOf(req.payloads, PayloadType.KE);
    if (req.exchangeType !== ExchangeType.CREATE_CHILD_SA || !sa?.proposals[0] || !ni || !kei)
      throw new Error('responder: not an IKE rekey request');
    const offered = sa.proposals.find((p) => p.protocolId === ProtocolId.IKE && p.spi.length === 8);
    if (!offered) throw new Error('responder: no IKE proposal in the rekey');
    if (opts.refuse !== undefined)
      return this.protect(
        {
          exchangeType: req.exchangeType,
          response: true,
          messageId: req.messageId,
          payloads: [notify(opts.refuse, new Uint8Array(0))],
        },
        { on: old },
      )[0]!;
    const spiR = this.config.random.bytes(8);
    const chosen = {
      ...pickOnePerType(
        offered,
        (t) => t.transformType !== TransformType.KE || t.transformId === kei.group,
      ),
      spi: spiR,
    };
    const nonceR = opts.nonce ?? this.config.random.bytes(NONCE_BYTES);
    const ke = this.keyExchange(kei.group);
    const shared = ke.computeSharedSecret(kei.data);
    if (!shared.ok) throw new Error(`responder: ${shared.message}`);
    const response = this.protect(
      {
        exchangeType: req.exchangeType,
        response: true,
        messageId: req.messageId,
        payloads: [
          { type: PayloadType.SA, proposals: [chosen] },
          { type: PayloadType.NONCE, nonce: nonceR },
          { type: PayloadType.KE, group: ke.group, data: ke.publicValue },
        ],
      },
      { on: old },
    )[0]!;
    const alg = algorithmsOf(chosen);
    const seed = rekeyedSkeyseed(old.prf, old.keys.skD, shared.sharedSecret, ni.nonce, nonceR);
    const keys = deriveIkeSaKeys(
      { encr: alg.encr, encrKeyBits: alg.encrKeyBits, prf: alg.prf!, integ: alg.integ },
      seed,
      { nonceI: ni.nonce, nonceR, spiI: offered.spi, spiR },
    );
    const inCipher = createSkCipher(
      alg.encr,
      alg.encrKeyBits,
      alg.integ,
      keys.skEi,
      keys.skAi,
      this.config.random,
    );
    old.savedNextRequestId = this.nextRequestId;
    this.oldIke = old;
    this.ike = {
      spiI: offered.spi,
      spiR,
      gatewayIsInitiator: false,
      prf: alg.prf!,
      keys,
      out: createSkCipher(
        alg.encr,
        alg.encrKeyBits,
        alg.integ,
        keys.skEr,
        keys.skAr,
        this.config.random,
      ),
      in: inCipher,
      reassembler: new FragmentReassembler(inCipher),
    };
    this.allIkes.push(old, this.ike);
    this.nextRequestId = 0;
    return response;
  }

  /** INFORMATIONAL { D(IKE) } on the SA replaced by the last rekey. */
  deleteOldIke(): Uint8Array {
    const old = this.oldIke;
    if (!old) throw new Error('responder: no old IKE SA');
    const id = old.savedNextRequestId ?? 0;
    old.savedNextRequestId = id + 1;
    return this.protect(
      {
        exchangeType: ExchangeType.INFORMATIONAL,
        response: false,
        messageId: id,
        payloads: [{ type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spis: [] }],
      },
      { on: old },
    )[0]!;
  }

  /** Decrypts a message on the SA replaced by the last rekey. */
  openOld(bytes: Uint8Array): IkeMessage {
    const r = decodeMessage(bytes, this.oldIke!.in);
    if (!r.ok) throw new Error(`responder: cannot open on the old SA (${r.error.message})`);
    return r.message;
  }

  /** A key pair of ours for `group` (MODP through the configured provider). */
  private keyExchange(group: number): KeyExchange {
    return createKeyExchange(group, { random: this.config.random, modp: this.config.modp });
  }

  private sa(): IkeSa {
    if (!this.ike) throw new Error('responder: no IKE SA yet');
    return this.ike;
  }

  /** Every IKE SA this gateway has had (current, old and redundant ones of collisions). */
  readonly allIkes: IkeSa[] = [];

  /** The IKE SA whose SPIs a datagram carries. */
  saOf(bytes: Uint8Array): IkeSa | undefined {
    const all = [this.ike, this.oldIke, ...this.allIkes];
    return all.find(
      (sa) =>
        sa && bytesEq(sa.spiI, bytes.subarray(0, 8)) && bytesEq(sa.spiR, bytes.subarray(8, 16)),
    );
  }

  /** One of the gateway's requests on a given IKE SA, with an explicit message ID. */
  requestOn(sa: IkeSa, exchangeType: number, payloads: Payload[], messageId: number): Uint8Array {
    return this.protect({ exchangeType, response: false, messageId, payloads }, { on: sa })[0]!;
  }
}

// ── Helpers ────────────────────────────────────────────────────────────────────────────────

export function notify(
  type: number,
  data: Uint8Array,
  protocolId = 0,
  spi: Uint8Array = new Uint8Array(0),
): Payload {
  return { type: PayloadType.NOTIFY, protocolId, spi, notifyType: type, data };
}

/** One transform of each type (the first that `accept` allows), as a responder selects. */
/** The initiator's TSr asks for IPv6 somewhere. */
function tsrHas6(req: IkeMessage): boolean {
  const tsr = req.payloads.find((p) => p.type === PayloadType.TSR);
  return tsr?.type === PayloadType.TSR && tsr.selectors.some((t) => t.startAddress.length === 16);
}

function pickOnePerType(offered: Proposal, accept: (t: Transform) => boolean): Proposal {
  const transforms: Transform[] = [];
  for (const t of offered.transforms)
    if (accept(t) && !transforms.some((x) => x.transformType === t.transformType))
      transforms.push(t);
  return { ...offered, transforms };
}

function algorithmsOf(p: Proposal): {
  encr: number;
  encrKeyBits: number | undefined;
  prf: number | undefined;
  integ: number | undefined;
} {
  const get = (type: number): Transform | undefined =>
    p.transforms.find((t) => t.transformType === type);
  const encr = get(TransformType.ENCR)!;
  return {
    encr: encr.transformId,
    encrKeyBits: transformKeyLength(encr),
    prf: get(TransformType.PRF)?.transformId,
    integ: get(TransformType.INTEG)?.transformId,
  };
}

function u16s(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push((data[i]! << 8) | data[i + 1]!);
  return out;
}

function idBody(idType: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.from([idType, 0, 0, 0]), data);
}

function nonZeroSpi(random: Random): Uint8Array {
  for (;;) {
    const b = random.bytes(4);
    if (b.some((x) => x !== 0)) return b;
  }
}

export function be32(n: number): Uint8Array {
  return Uint8Array.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

export function be16(n: number): Uint8Array {
  return Uint8Array.from([(n >> 8) & 0xff, n & 0xff]);
}

export function u32(b: Uint8Array): number {
  return ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
