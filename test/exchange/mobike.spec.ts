/**
 * MOBIKE (RFC 4555): we move the SA after a path change with UPDATE_SA_ADDRESSES and a COOKIE2
 * the gateway must echo (§3.5); we answer the gateway's own return-routability checks; NAT is
 * never forbidden by us (our ESP is always UDP-encapsulated: no NO_NATS_ALLOWED, §3.9) and a
 * gateway forbidding it learns UNEXPECTED_NAT_DETECTED; the gateway's ADDITIONAL_*_ADDRESS list
 * (§3.6) is kept and used as fall-back targets when it stops answering at its address.
 *
 *   INFORMATIONAL SK{ N(UPDATE_SA_ADDRESSES), N(COOKIE2), N(NAT_D_S), N(NAT_D_D) } -->   (new path)
 *                 <--  SK{ N(COOKIE2) }
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { ipToBytes } from '../../native-helper/ike/traffic-selectors.js';
import { notify } from '../support/scripted-responder.js';
import {
  GATEWAY_NATT,
  closedReason,
  establish,
  of,
  onlySent,
  sends,
  timelineEvents,
} from './harness.js';

const NEW_LOCAL = { address: '10.0.7.9', port: 500 };
const ALT_GW = '198.51.100.20';

function mobikeSa(additionalAddresses: string[] = [], moveToAdditionalAddresses = true) {
  return establish(
    { mobike: true, moveToAdditionalAddresses },
    {},
    { mobike: true, additionalAddresses },
  );
}

function types(bytes: Uint8Array, x: ReturnType<typeof mobikeSa>) {
  return payloadsOf(x.gw.open(bytes).payloads, PayloadType.NOTIFY).map((n) => n.notifyType);
}

describe('MOBIKE address update with COOKIE2', () => {
  it('moves the SA: UPDATE_SA_ADDRESSES with COOKIE2 from the new address, endpoints after the echo', () => {
    const x = mobikeSa();
    expect(of(x.log, 'established')[0]!.config.peerSupportsMobike).toBe(true);
    // INFORMATIONAL SK{ N(UPDATE_SA_ADDRESSES), N(COOKIE2), N(NAT_D_S), N(NAT_D_D) } -->
    const out = x.input({ type: 'roam', local: NEW_LOCAL });
    const [send] = sends(out);
    expect(send).toMatchObject({
      from: { address: NEW_LOCAL.address, port: 4500 },
      to: GATEWAY_NATT,
    });
    expect(types(send!.bytes, x)).toEqual([
      NotifyStatusType.UPDATE_SA_ADDRESSES,
      NotifyStatusType.COOKIE2,
      NotifyStatusType.NAT_DETECTION_SOURCE_IP,
      NotifyStatusType.NAT_DETECTION_DESTINATION_IP,
    ]);
    const cookie = payloadsOf(x.gw.open(send!.bytes).payloads, PayloadType.NOTIFY)[1]!.data;
    expect(cookie.length).toBeGreaterThanOrEqual(8);
    expect(cookie.length).toBeLessThanOrEqual(64);
    //             <-- INFORMATIONAL SK{ N(COOKIE2) }
    const done = x.deliver(x.gw.answerAddressUpdate(send!.bytes).response);
    expect(of(done, 'update-child-sa-endpoints')).toEqual([
      {
        type: 'update-child-sa-endpoints',
        local: { address: NEW_LOCAL.address, port: 4500 },
        remote: GATEWAY_NATT,
      },
    ]);
    expect(timelineEvents(done)).toContainEqual({
      kind: 'mobike-update',
      local: { address: NEW_LOCAL.address, port: 4500 },
    });
  });

  it("re-evaluates NAT on the new path from the answer's NAT detection (§3.5)", () => {
    const x = mobikeSa();
    expect(of(x.log, 'established')[0]!.config.natDetected).toEqual({
      local: false,
      remote: false,
    });
    const moved = { address: NEW_LOCAL.address, port: 4500 };
    // INFORMATIONAL SK{ N(UPDATE_SA_ADDRESSES), N(COOKIE2), N(NAT_D_S), N(NAT_D_D) } -->
    //             <-- SK{ N(COOKIE2), N(NAT_D_S), N(NAT_D_D) }   (it saw us behind a NAT)
    const behindNat = x.deliver(
      x.gw.answerAddressUpdate(onlySent(x.input({ type: 'roam', local: NEW_LOCAL })), {
        natd: { seenFrom: { address: '203.0.113.7', port: 61_000 } },
      }).response,
    );
    expect(timelineEvents(behindNat)).toContainEqual({
      kind: 'nat-detected',
      local: true,
      remote: false,
      forced: true,
    });
    expect(of(behindNat, 'update-child-sa-endpoints')).toHaveLength(1);

    // the next path has no NAT on our side, but the gateway answers from behind one
    const next = { address: '10.0.8.1', port: 500 };
    const direct = x.deliver(
      x.gw.answerAddressUpdate(onlySent(x.input({ type: 'roam', local: next })), {
        natd: {
          seenFrom: { address: next.address, port: 4500 },
          selfAs: { address: '198.51.100.77', port: 4500 },
        },
      }).response,
    );
    expect(timelineEvents(direct)).toContainEqual({
      kind: 'nat-detected',
      local: false,
      remote: true,
      forced: true,
    });

    // an answer without NAT detection leaves the recorded state alone (no event)
    const quiet = x.deliver(
      x.gw.answerAddressUpdate(onlySent(x.input({ type: 'roam', local: NEW_LOCAL }))).response,
    );
    expect(of(quiet, 'update-child-sa-endpoints')[0]).toMatchObject({ local: moved });
    expect(timelineEvents(quiet).some((e) => e.kind === 'nat-detected')).toBe(false);
  });

  it('each update draws a fresh COOKIE2', () => {
    const x = mobikeSa();
    const first = onlySent(x.input({ type: 'roam', local: NEW_LOCAL }));
    x.deliver(x.gw.answerAddressUpdate(first).response);
    const second = onlySent(x.input({ type: 'roam', local: { address: '10.0.8.1', port: 500 } }));
    const c = (b: Uint8Array) =>
      payloadsOf(x.gw.open(b).payloads, PayloadType.NOTIFY).find(
        (n) => n.notifyType === NotifyStatusType.COOKIE2,
      )!.data;
    expect(c(second)).not.toEqual(c(first));
  });

  for (const [what, cookie2] of [
    ['without COOKIE2', null],
    ['with another COOKIE2', new Uint8Array(16).fill(7)],
  ] as const)
    it(`an answer ${what} does not move the SA; the IKE SA is deleted with invalid-syntax`, () => {
      const x = mobikeSa();
      const req = onlySent(x.input({ type: 'roam', local: NEW_LOCAL }));
      const out = x.deliver(x.gw.answerAddressUpdate(req, { cookie2 }).response);
      expect(of(out, 'update-child-sa-endpoints')).toEqual([]);
      const del = x.gw.open(onlySent(out));
      expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
      expect(closedReason(x.deliver(x.gw.respond(del)))).toMatchObject({
        kind: 'failed',
        error: { code: 'invalid-syntax', detail: expect.stringContaining('COOKIE2') },
      });
    });

  it('never sends NO_NATS_ALLOWED (our ESP is always UDP-encapsulated)', () => {
    const x = mobikeSa();
    const req = onlySent(x.input({ type: 'roam', local: NEW_LOCAL }));
    expect(types(req, x)).not.toContain(NotifyStatusType.NO_NATS_ALLOWED);
  });
});

describe("the gateway's MOBIKE requests", () => {
  it('echoes the COOKIE2 of its return routability check (§3.5)', () => {
    const x = mobikeSa();
    const cookie = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    //             <-- INFORMATIONAL SK{ N(COOKIE2) }
    // INFORMATIONAL SK{ N(COOKIE2) } -->
    const out = x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [notify(NotifyStatusType.COOKIE2, cookie)]),
    );
    expect(x.gw.open(onlySent(out)).payloads).toEqual([notify(NotifyStatusType.COOKIE2, cookie)]);
  });

  it('answers NO_NATS_ALLOWED with UNEXPECTED_NAT_DETECTED (§3.9), and carries on', () => {
    const x = mobikeSa();
    const data = new Uint8Array(12);
    const out = x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [notify(NotifyStatusType.NO_NATS_ALLOWED, data)]),
    );
    expect(payloadsOf(x.gw.open(onlySent(out)).payloads, PayloadType.NOTIFY)).toMatchObject([
      { notifyType: NotifyErrorType.UNEXPECTED_NAT_DETECTED },
    ]);
    expect(x.session.state).toBe('established');
  });

  it('does not let the gateway move the SA (only the initiator sends UPDATE_SA_ADDRESSES)', () => {
    const x = mobikeSa();
    const out = x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [
        notify(NotifyStatusType.UPDATE_SA_ADDRESSES, new Uint8Array(0)),
      ]),
    );
    expect(of(out, 'update-child-sa-endpoints')).toEqual([]);
    expect(x.gw.open(onlySent(out))).toMatchObject({ response: true, payloads: [] });
  });
});

describe("the gateway's additional addresses (§3.6)", () => {
  it('keeps them from IKE_AUTH, and a later list replaces them (NO_ADDITIONAL_ADDRESSES clears)', () => {
    const x = mobikeSa([ALT_GW, '2001:db8::20', ALT_GW]);
    expect(x.session.peerAdditionalAddresses).toEqual([ALT_GW, '2001:db8::20']);
    x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [
        notify(NotifyStatusType.ADDITIONAL_IP4_ADDRESS, ipToBytes('198.51.100.30')!),
      ]),
    );
    expect(x.session.peerAdditionalAddresses).toEqual(['198.51.100.30']);
    x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [
        notify(NotifyStatusType.NO_ADDITIONAL_ADDRESSES, new Uint8Array(0)),
      ]),
    );
    expect(x.session.peerAdditionalAddresses).toEqual([]);
  });

  it('a malformed address (wrong length) is ignored; the list is bounded', () => {
    const many = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 40}`);
    const x = mobikeSa(many);
    expect(x.session.peerAdditionalAddresses).toHaveLength(8);
    x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [
        notify(NotifyStatusType.ADDITIONAL_IP4_ADDRESS, Uint8Array.of(1, 2, 3)),
      ]),
    );
    expect(x.session.peerAdditionalAddresses).toHaveLength(8);
  });

  /** Lets our outstanding request go unanswered until the session gives up on it. */
  function unanswered(x: ReturnType<typeof mobikeSa>) {
    let out = [] as ReturnType<typeof x.fire>;
    for (let i = 0; i < 6; i++) out = x.fire('retransmit', x.now + 80_000);
    return out;
  }

  it('when the gateway stops answering, moves the SA to its next address instead of giving up', () => {
    const x = mobikeSa([ALT_GW]);
    const child = of(x.log, 'install-child-sa')[0]!.sa;
    // INFORMATIONAL SK{} -->   (liveness check, never answered at 192.0.2.1)
    x.fire('dpd', x.now + 60_000);
    const out = unanswered(x);
    expect(closedReason(out)).toBeUndefined();
    // INFORMATIONAL SK{ N(UPDATE_SA_ADDRESSES), N(COOKIE2), … } -->   (to 198.51.100.20:4500)
    const [send] = sends(out);
    expect(send!.to).toEqual({ address: ALT_GW, port: 4500 });
    expect(types(send!.bytes, x)).toContain(NotifyStatusType.UPDATE_SA_ADDRESSES);
    //             <-- INFORMATIONAL SK{ N(COOKIE2) }   (from there)
    const done = x.deliver(x.gw.answerAddressUpdate(send!.bytes).response);
    expect(of(done, 'update-child-sa-endpoints')).toEqual([
      {
        type: 'update-child-sa-endpoints',
        local: child.local,
        remote: { address: ALT_GW, port: 4500 },
      },
    ]);
    // everything after goes to the new address
    const ping = x.input({ type: 'probe' });
    expect(sends(ping)[0]!.to).toEqual({ address: ALT_GW, port: 4500 });
  });

  it('skips additional addresses of the other family (our IPv4 socket cannot reach them)', () => {
    const x = mobikeSa(['2001:db8::20', ALT_GW]);
    expect(x.session.peerAdditionalAddresses).toEqual(['2001:db8::20', ALT_GW]);
    x.fire('dpd', x.now + 60_000);
    const out = unanswered(x);
    expect(sends(out).map((s) => s.to)).toEqual([{ address: ALT_GW, port: 4500 }]);
  });

  it('gives up with peer-unreachable when no address answers', () => {
    const x = mobikeSa([ALT_GW]);
    x.fire('dpd', x.now + 60_000);
    expect(sends(unanswered(x))[0]!.to.address).toBe(ALT_GW);
    const out = unanswered(x);
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'peer-unreachable' },
    });
  });

  it('never an address inside the tunnel (strongSwan lists its inside addresses too)', () => {
    // the scripted gateway's TSr is 10.1.0.0/16: 10.1.0.1 is routed into the tunnel itself
    const y = mobikeSa(['10.1.0.1', ALT_GW]);
    expect(of(y.log, 'install-child-sa')[0]!.sa.tsRemote[0]).toMatchObject({
      startAddress: '10.1.0.0',
      endAddress: '10.1.255.255',
    });
    y.fire('dpd', y.now + 60_000);
    expect(sends(unanswered(y)).map((s) => s.to)).toEqual([{ address: ALT_GW, port: 4500 }]);
  });

  it('off unless the runtime asks for it: a silent gateway is reported after the DPD budget alone', () => {
    const x = mobikeSa([ALT_GW], false);
    x.fire('dpd', x.now + 60_000);
    expect(closedReason(unanswered(x))).toMatchObject({
      kind: 'failed',
      error: { code: 'peer-unreachable' },
    });
  });

  it('without MOBIKE on the gateway the list is not used', () => {
    const x = establish({ mobike: true }, {}, { additionalAddresses: [ALT_GW] });
    x.fire('dpd', x.now + 60_000);
    expect(closedReason(unanswered(x))).toMatchObject({
      kind: 'failed',
      error: { code: 'peer-unreachable' },
    });
  });
});
