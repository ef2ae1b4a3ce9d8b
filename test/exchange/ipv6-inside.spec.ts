/**
 * IPv6 inside the tunnel (RFC 7296 §3.15, §2.9), dual stack as strongSwan's and Android's
 * clients do it: with `requestVirtualIp6` the IKE_AUTH request carries
 *
 *   CP(CFG_REQUEST){ INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS, INTERNAL_IP4_SUBNET, INTERNAL_IP6_ADDRESS, INTERNAL_IP6_DNS }
 *   TSi(0.0.0.0/0, ::/0)  TSr(what the profile routes, IPv6 included)
 *
 * and the reply's INTERNAL_IP6_ADDRESS (address ‖ prefix length), INTERNAL_IP6_DNS and
 * INTERNAL_IP6_SUBNET end up in TunnelConfig. A gateway without an IPv6 pool is no failure: the
 * tunnel is IPv4-only then, and an IPv6 TSr without an IPv6 address of ours is left out of what
 * the data plane and the routes see.
 */
import { describe, expect, it } from 'vitest';
import { CpAttributeType } from '../../native-helper/ike/message/cp-payload.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import type { TrafficSelectorRange } from '../../native-helper/ike/ike-events.js';
import {
  cidrToRange,
  formatRange,
  rangeToSelector,
} from '../../native-helper/ike/traffic-selectors.js';
import {
  CLIENT,
  closedReason,
  Exchange,
  of,
  onlySent,
  responderFor,
  sentBytes,
  sessionConfig,
  timelineEvents,
  type ConfigOptions,
} from './harness.js';
import type { AuthOptions, ResponderConfig } from '../support/scripted-responder.js';

const DUAL: ConfigOptions = {
  requestVirtualIp6: true,
  remoteTs: [cidrToRange('0.0.0.0/0'), cidrToRange('::/0')],
};
const POOL6: Partial<ResponderConfig> = {
  virtualIp6: 'fd10:10::7',
  dns6: ['fd99::53'],
  subnets6: ['fd99::/64'],
  protectedSubnet6: 'fd99::/64',
};

const cidrs = (r: readonly TrafficSelectorRange[]) => r.map(formatRange);

/** Like harness.establish, but returns the outputs of the last hop too (failures included). */
function connect(o: ConfigOptions, r: Partial<ResponderConfig>, a: AuthOptions = {}) {
  const x = new Exchange(sessionConfig(o), responderFor(r));
  const init = onlySent(x.start());
  const authRequest = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
  const out = x.deliverAll(x.gw.answerAuth(authRequest, a));
  return { x, out, authRequest: x.gw.open(authRequest) };
}

describe('IPv6 inside the tunnel', () => {
  it('asks for an IPv6 address and DNS and ::/0 next to IPv4; the gateway assigns them', () => {
    const { x, out, authRequest } = connect(DUAL, POOL6);
    // IKE_AUTH SK{ …, CP(REQUEST){ IP4_ADDRESS, IP4_DNS, IP4_SUBNET, IP6_ADDRESS, IP6_DNS }, SA, TSi, TSr } -->
    expect(x.gw.lastCpRequest?.attributes).toEqual(
      [
        CpAttributeType.INTERNAL_IP4_ADDRESS,
        CpAttributeType.INTERNAL_IP4_DNS,
        CpAttributeType.INTERNAL_IP4_SUBNET,
        CpAttributeType.INTERNAL_IP6_ADDRESS,
        CpAttributeType.INTERNAL_IP6_DNS,
      ].map((attributeType) => ({ attributeType, value: new Uint8Array(0) })),
    );
    const [tsi] = payloadsOf(authRequest.payloads, PayloadType.TSI);
    const [tsr] = payloadsOf(authRequest.payloads, PayloadType.TSR);
    expect(tsi?.selectors).toEqual([
      rangeToSelector(cidrToRange('0.0.0.0/0')),
      rangeToSelector(cidrToRange('::/0')),
    ]);
    expect(tsr?.selectors).toEqual(tsi?.selectors);

    //   <-- SK{ IDr, AUTH, CP(REPLY){ IP4, DNS4…, IP6 fd10:10::7/128, IP6_DNS, IP6_SUBNET },
    //           SA, TSi(10.10.0.5/32, fd10:10::7/128), TSr(10.1.0.0/16, fd99::/64) }
    const [established] = of(out, 'established');
    expect(established?.config).toMatchObject({
      virtualIp4: '10.10.0.5',
      virtualIp6: 'fd10:10::7',
      virtualIp6Prefix: 128,
      dns: ['10.1.0.53', '10.1.0.54', 'fd99::53'],
      subnets: ['fd99::/64'],
    });
    expect(cidrs(established!.config.tsLocal)).toEqual(['10.10.0.5/32', 'fd10:10::7/128']);
    expect(cidrs(established!.config.tsRemote)).toEqual(['10.1.0.0/16', 'fd99::/64']);
    const [install] = of(out, 'install-child-sa');
    expect(cidrs(install!.sa.tsLocal)).toEqual(['10.10.0.5/32', 'fd10:10::7/128']);
    expect(cidrs(install!.sa.tsRemote)).toEqual(['10.1.0.0/16', 'fd99::/64']);
    expect(timelineEvents(out)).toContainEqual(
      expect.objectContaining({
        kind: 'established',
        virtualIp4: '10.10.0.5',
        virtualIp6: 'fd10:10::7',
      }),
    );
  });

  it('a gateway without an IPv6 pool: established IPv4-only, its ::/0 TSr left out', () => {
    // strongSwan narrows TSi to our IPv4 address but returns its ::/0 with the rest of TSr.
    const { out } = connect(
      DUAL,
      {},
      {
        tsr: [rangeToSelector(cidrToRange('0.0.0.0/0')), rangeToSelector(cidrToRange('::/0'))],
      },
    );
    expect(closedReason(out)).toBeUndefined();
    const [established] = of(out, 'established');
    expect(established?.config.virtualIp4).toBe('10.10.0.5');
    expect(established?.config).not.toHaveProperty('virtualIp6');
    expect(established?.config.dns).toEqual(['10.1.0.53', '10.1.0.54']);
    // no IPv6 address of ours: ::/0 would only send IPv6 into an SA the gateway drops it from
    expect(cidrs(established!.config.tsLocal)).toEqual(['10.10.0.5/32']);
    expect(cidrs(established!.config.tsRemote)).toEqual(['0.0.0.0/0']);
    expect(cidrs(of(out, 'install-child-sa')[0]!.sa.tsRemote)).toEqual(['0.0.0.0/0']);
  });

  it("the gateway's rekey of that SA (its TSi still with ::/0) is accepted, not TS_UNACCEPTABLE", () => {
    const ts = [rangeToSelector(cidrToRange('0.0.0.0/0')), rangeToSelector(cidrToRange('::/0'))];
    const { x } = connect(DUAL, {}, { tsr: ts });
    //   <-- CREATE_CHILD_SA SK{ N(REKEY_SA), SA, Ni, TSi(0.0.0.0/0, ::/0), TSr(10.10.0.5/32) }
    const out = x.deliver(x.gw.rekeyChild(x.gw.childSas[0]!, undefined, { tsi: ts }));
    const answer = x.gw.open(onlySent(out));
    expect(payloadsOf(answer.payloads, PayloadType.NOTIFY)).toEqual([]);
    const [install] = of(out, 'install-child-sa');
    expect(cidrs(install!.sa.tsRemote)).toEqual(['0.0.0.0/0']);
    expect(cidrs(install!.sa.tsLocal)).toEqual(['10.10.0.5/32']);
  });

  it('a narrowed IPv6 TSr (a subset of what we asked) is accepted', () => {
    const { out } = connect(
      { requestVirtualIp6: true, remoteTs: [cidrToRange('10.1.0.0/16'), cidrToRange('fd99::/48')] },
      POOL6,
      { tsr: [rangeToSelector(cidrToRange('fd99::/64'))] },
    );
    const [established] = of(out, 'established');
    expect(cidrs(established!.config.tsRemote)).toEqual(['fd99::/64']);
    expect(cidrs(established!.config.tsLocal)).toEqual(['fd10:10::7/128']);
  });

  it('an IPv6 TSr wider than we asked is refused (ts-unacceptable), the IKE SA deleted', () => {
    const { x, out } = connect(
      { requestVirtualIp6: true, remoteTs: [cidrToRange('10.1.0.0/16'), cidrToRange('fd99::/64')] },
      POOL6,
      { tsr: [rangeToSelector(cidrToRange('fd99::/48'))] },
    );
    expect(of(out, 'established')).toEqual([]);
    expect(of(out, 'install-child-sa')).toEqual([]);
    // INFORMATIONAL SK{ D(IKE) } -->   <-- INFORMATIONAL SK{}   then closed
    const del = x.gw.open(onlySent(out));
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(closedReason(out)).toBeUndefined();
    expect(closedReason(x.deliver(x.gw.respond(del)))).toMatchObject({
      kind: 'failed',
      error: { code: 'ts-unacceptable' },
    });
  });

  it('without requestVirtualIp6: IPv4 only in CP and TSi, and the gateway sends no IPv6', () => {
    const { x, out, authRequest } = connect({}, POOL6);
    expect(x.gw.lastCpRequest?.attributes.map((a) => a.attributeType)).toEqual([
      CpAttributeType.INTERNAL_IP4_ADDRESS,
      CpAttributeType.INTERNAL_IP4_DNS,
      CpAttributeType.INTERNAL_IP4_SUBNET,
    ]);
    expect(payloadsOf(authRequest.payloads, PayloadType.TSI)[0]?.selectors).toEqual([
      rangeToSelector(cidrToRange('0.0.0.0/0')),
    ]);
    expect(of(out, 'established')[0]?.config).not.toHaveProperty('virtualIp6');
  });
});
