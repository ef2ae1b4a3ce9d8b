/**
 * Shared setup for the exchange specs: our IkeSession against a ScriptedResponder, in memory.
 * Every test still writes its hops out; this only holds the wiring and the output filters.
 */
import type { ConfiguredProposal } from '../../native-helper/ike/sa-negotiation.js';
import { parseProposals } from '../../native-helper/ike/crypto/proposal-syntax.js';
import type {
  Endpoint,
  IkeInput,
  IkeOutput,
  IkeTimelineEvent,
  IkeTimer,
} from '../../native-helper/ike/ike-events.js';
import { IkeSession } from '../../native-helper/ike/ike-session.js';
import type { IkeSessionConfig } from '../../native-helper/ike/ike-session-config.js';
import { DEFAULT_RETRANSMIT_POLICY } from '../../native-helper/ike/retransmit.js';
import { cidrToRange } from '../../native-helper/ike/traffic-selectors.js';
import { SeededRandom } from '../support/fixed-random.js';
import {
  ScriptedResponder,
  type AuthOptions,
  type ResponderConfig,
} from '../support/scripted-responder.js';

export const GATEWAY: Endpoint = { address: '192.0.2.1', port: 500 };
export const CLIENT: Endpoint = { address: '10.0.0.2', port: 500 };
export const GATEWAY_NATT: Endpoint = { ...GATEWAY, port: 4500 };
export const CLIENT_NATT: Endpoint = { ...CLIENT, port: 4500 };
export const PSK = new TextEncoder().encode('correct horse battery staple');
export const GATEWAY_ID = { idType: 2, data: new TextEncoder().encode('vpn.example.com') };
export const CLIENT_ID = { idType: 3, data: new TextEncoder().encode('alice@example.com') };

export function configured(text: string, protocol: 'ike' | 'esp'): ConfiguredProposal[] {
  return parseProposals(text, protocol).map((p) => ({
    encr: p.encr.map((e) => ({ id: e.id, keyBits: e.keyBits })),
    prf: [...p.prf],
    integ: [...p.integ],
    ke: [...p.ke],
    esn: [...p.esn],
  }));
}

export interface ConfigOptions extends Partial<IkeSessionConfig> {
  ike?: string;
  esp?: string;
  seed?: string;
}

export function sessionConfig(o: ConfigOptions = {}): IkeSessionConfig {
  const ike = o.ike ?? 'aes256gcm16-prfsha256-x25519';
  const esp = o.esp ?? 'aes256gcm16';
  const { ike: _i, esp: _e, seed, ...rest } = o;
  void _i;
  void _e;
  return {
    server: GATEWAY,
    local: CLIENT,
    serverName: 'vpn.example.com',
    localId: { ...CLIENT_ID, text: 'alice@example.com' },
    remoteId: { ...GATEWAY_ID, text: 'vpn.example.com' },
    auth: { method: 'psk', secret: PSK },
    ikeProposals: configured(ike, 'ike'),
    espProposals: configured(esp, 'esp'),
    ikeProposalText: ike.split(','),
    espProposalText: esp.split(','),
    remoteTs: [cidrToRange('0.0.0.0/0')],
    requestVirtualIp: true,
    mobike: false,
    fragmentation: false,
    fragmentSize: 1280,
    dpdDelayMs: 30_000,
    retransmit: DEFAULT_RETRANSMIT_POLICY,
    trustedCas: [],
    random: new SeededRandom(seed ?? 'initiator'),
    ...rest,
  };
}

export function responderFor(o: Partial<ResponderConfig> = {}): ScriptedResponder {
  return new ScriptedResponder({
    address: GATEWAY,
    psk: PSK,
    id: GATEWAY_ID,
    random: new SeededRandom('responder'),
    virtualIp: '10.10.0.5',
    dns: ['10.1.0.53', '10.1.0.54'],
    protectedSubnet: '10.1.0.0/16',
    ...o,
  });
}

type SendOutput = Extract<IkeOutput, { type: 'send' }>;

/** One session and the clock; every output is also kept in `log`. */
export class Exchange {
  readonly session: IkeSession;
  readonly log: IkeOutput[] = [];
  now = 1_000_000;

  constructor(
    readonly config: IkeSessionConfig,
    readonly gw: ScriptedResponder,
  ) {
    this.session = new IkeSession(config);
  }

  input(i: IkeInput, at?: number): IkeOutput[] {
    if (at !== undefined) this.now = at;
    const out = this.session.handle(i, this.now);
    this.log.push(...out);
    return out;
  }

  start(): IkeOutput[] {
    return this.input({ type: 'start' });
  }

  /** A datagram from the gateway (to our current port). */
  deliver(bytes: Uint8Array, at?: number): IkeOutput[] {
    return this.input({ type: 'datagram', bytes, from: GATEWAY, to: CLIENT }, at);
  }

  deliverAll(datagrams: Uint8Array[], at?: number): IkeOutput[] {
    return datagrams.flatMap((d) => this.deliver(d, at));
  }

  fire(timer: IkeTimer, at?: number): IkeOutput[] {
    return this.input({ type: 'timer', timer }, at);
  }
}

export function sends(out: IkeOutput[]): SendOutput[] {
  return out.filter((o): o is SendOutput => o.type === 'send');
}

export function sentBytes(out: IkeOutput[]): Uint8Array[] {
  return sends(out).map((s) => s.bytes);
}

/** The only datagram in `out` (fails the test when there are more or none). */
export function onlySent(out: IkeOutput[]): Uint8Array {
  const s = sends(out);
  if (s.length !== 1) throw new Error(`expected exactly one datagram, got ${s.length}`);
  return s[0]!.bytes;
}

export function timelineEvents(out: IkeOutput[]): IkeTimelineEvent[] {
  return out.flatMap((o) => (o.type === 'event' ? [o.event] : []));
}

export function armed(out: IkeOutput[], timer: IkeTimer): number[] {
  return out.flatMap((o) => (o.type === 'arm-timer' && o.timer === timer ? [o.at] : []));
}

export function closedReason(out: IkeOutput[]) {
  const c = out.find((o) => o.type === 'closed');
  return c?.type === 'closed' ? c.reason : undefined;
}

export function of<T extends IkeOutput['type']>(
  out: IkeOutput[],
  type: T,
): Extract<IkeOutput, { type: T }>[] {
  return out.filter((o): o is Extract<IkeOutput, { type: T }> => o.type === type);
}

/** Only dropped events and nothing else (no sends, no timers, no state). */
export function onlyDropped(out: IkeOutput[]): boolean {
  return out.length > 0 && out.every((o) => o.type === 'event' && o.event.kind === 'dropped');
}

/**
 * The whole happy path, hop by hop (used as the prelude of tests about later exchanges):
 *
 *   IKE_SA_INIT { SA, KE, Ni, N(NAT_D_S), N(NAT_D_D) }  -->
 *               <--  { SA, KE, Nr, N(NAT_D_S), N(NAT_D_D) }
 *   IKE_AUTH    SK{ IDi, N(INITIAL_CONTACT), IDr, AUTH, CP(REQUEST), SA, TSi, TSr }  -->
 *               <--  SK{ IDr, AUTH, CP(REPLY), SA, TSi, TSr }
 */
export function establish(
  o: ConfigOptions = {},
  r: Partial<ResponderConfig> = {},
  a: AuthOptions = {},
): Exchange {
  const x = new Exchange(sessionConfig(o), responderFor(r));
  const init = onlySent(x.start());
  const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
  const out = x.deliverAll(x.gw.answerAuth(auth, a));
  if (!out.some((e) => e.type === 'established')) throw new Error('not established');
  return x;
}
