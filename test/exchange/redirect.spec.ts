/**
 * Redirect (RFC 5685). We announce N(REDIRECT_SUPPORTED) in IKE_SA_INIT; the gateway may answer
 * with N(REDIRECT) instead (with our Ni echoed, since it is unauthenticated), or put it in its
 * authenticated IKE_AUTH response, or send it later in an INFORMATIONAL. The session then ends
 * with the close reason 'redirected' — the runner resolves the target when it is a name and
 * starts the next session with `server` = the target, `redirectedFrom` and `redirects` from the
 * reason, so the new IKE_SA_INIT carries N(REDIRECTED_FROM) and loops stay bounded (at most 5
 * redirects within 300 s). The new gateway is authenticated against the same remote identity.
 *
 *   IKE_SA_INIT { SA, KE, Ni, N(NAT_D_S), N(NAT_D_D), N(REDIRECT_SUPPORTED) }  -->
 *               <--  { N(REDIRECT, GW ident, Ni) }
 *   (closed: redirected)  …  next session:
 *   IKE_SA_INIT { SA, KE, Ni', N(NAT_D_S), N(NAT_D_D), N(REDIRECTED_FROM, old GW) }  -->  new GW
 */
import { describe, expect, it } from 'vitest';
import type { IkeCloseReason } from '../../native-helper/ike/ike-events.js';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import {
  decodeRedirectData,
  encodeRedirectData,
} from '../../native-helper/ike/message/redirect-data.js';
import { notify } from '../support/scripted-responder.js';
import {
  CLIENT,
  Exchange,
  GATEWAY,
  closedReason,
  establish,
  of,
  onlyDropped,
  onlySent,
  responderFor,
  sentBytes,
  sessionConfig,
  timelineEvents,
  type ConfigOptions,
} from './harness.js';

const NEW_GW = { kind: 'ipv4', address: '198.51.100.9' } as const;

function attempt(o: ConfigOptions = {}) {
  const x = new Exchange(sessionConfig(o), responderFor({ address: o.server ?? GATEWAY }));
  const init = onlySent(x.start());
  return { x, init };
}

function notifiesOf(x: Exchange, init: Uint8Array) {
  return payloadsOf(x.gw.readInit(init).payloads, PayloadType.NOTIFY);
}

describe('redirect in IKE_SA_INIT (unauthenticated, RFC 5685 §4)', () => {
  it('announces REDIRECT_SUPPORTED, and not when redirects are turned off', () => {
    const { x, init } = attempt();
    expect(notifiesOf(x, init).map((n) => n.notifyType)).toContain(
      NotifyStatusType.REDIRECT_SUPPORTED,
    );
    const off = attempt({ followRedirects: false });
    const types = notifiesOf(off.x, off.init).map((n) => n.notifyType);
    expect(types).not.toContain(NotifyStatusType.REDIRECT_SUPPORTED);
    expect(types).not.toContain(NotifyStatusType.REDIRECTED_FROM);
  });

  it('follows a REDIRECT that echoes our Ni: the session ends "redirected" for the runner', () => {
    const { x, init } = attempt();
    //             <-- IKE_SA_INIT { N(REDIRECT, 198.51.100.9, Ni) }
    const out = x.deliver(x.gw.answerInit(init, CLIENT, { redirect: NEW_GW }));
    expect(timelineEvents(out)).toContainEqual({ kind: 'redirected', to: '198.51.100.9' });
    expect(closedReason(out)).toEqual({
      kind: 'redirected',
      to: NEW_GW,
      from: GATEWAY,
      stage: 'ike-sa-init',
      redirects: [x.now],
    });
    // nothing else goes to the old gateway, and the retransmission stops
    expect(sentBytes(out)).toEqual([]);
    expect(of(out, 'cancel-timer').map((c) => c.timer)).toContain('retransmit');
  });

  it('carries IPv6 and host-name targets as they are (the runner resolves names)', () => {
    for (const to of [
      { kind: 'ipv6', address: '2001:db8::9' } as const,
      { kind: 'fqdn', name: 'vpn2.example.com' } as const,
    ]) {
      const { x, init } = attempt();
      const out = x.deliver(x.gw.answerInit(init, CLIENT, { redirect: to }));
      expect(closedReason(out)).toMatchObject({ kind: 'redirected', to });
    }
  });

  it('drops a REDIRECT without our nonce (or malformed) and keeps waiting for the real answer', () => {
    const { x, init } = attempt();
    const forged = x.deliver(
      x.gw.answerInit(init, CLIENT, { redirect: NEW_GW, redirectNonce: new Uint8Array(32) }),
    );
    expect(onlyDropped(forged)).toBe(true);
    expect(timelineEvents(forged)[0]).toMatchObject({
      reason: 'REDIRECT without our nonce',
    });
    const malformed = x.deliver(
      x.gw.answerInit(init, CLIENT, { redirectData: Uint8Array.of(9, 4, 1, 2, 3, 4) }),
    );
    expect(onlyDropped(malformed)).toBe(true);
    // the genuine answer still brings the SA up
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    const done = x.deliverAll(x.gw.answerAuth(auth));
    expect(done.some((o) => o.type === 'established')).toBe(true);
  });

  it('with redirects turned off, a REDIRECT ends the attempt with a clear error', () => {
    const { x, init } = attempt({ followRedirects: false });
    const out = x.deliver(x.gw.answerInit(init, CLIENT, { redirect: NEW_GW }));
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'invalid-syntax', detail: expect.stringContaining('198.51.100.9') },
    });
  });

  it('the next session (as the runner starts it) sends REDIRECTED_FROM and comes up at the new gateway', () => {
    const first = attempt();
    const reason = closedReason(
      first.x.deliver(first.x.gw.answerInit(first.init, CLIENT, { redirect: NEW_GW })),
    ) as Extract<IkeCloseReason, { kind: 'redirected' }>;
    const server = { address: NEW_GW.address, port: 500 };
    // IKE_SA_INIT { …, N(REDIRECTED_FROM, 192.0.2.1) } -->   (to 198.51.100.9)
    const x = new Exchange(
      sessionConfig({ server, redirectedFrom: reason.from, redirects: reason.redirects }),
      responderFor({ address: server }),
    );
    const start = x.start();
    expect(of(start, 'send')[0]!.to).toEqual(server);
    const init = onlySent(start);
    const notifies = notifiesOf(x, init);
    expect(notifies.map((n) => n.notifyType)).not.toContain(NotifyStatusType.REDIRECT_SUPPORTED);
    const from = notifies.find((n) => n.notifyType === NotifyStatusType.REDIRECTED_FROM)!;
    expect(decodeRedirectData(from.data)).toEqual({
      target: { kind: 'ipv4', address: GATEWAY.address },
      nonce: new Uint8Array(0),
    });
    // The new gateway proves the same configured identity (vpn.example.com) with the PSK.
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    const done = x.deliverAll(x.gw.answerAuth(auth));
    expect(of(done, 'established')[0]!.config.server).toEqual({ ...server, port: 4500 });
  });
});

describe('unprotected redirects after IKE_SA_INIT', () => {
  it('a plaintext REDIRECT (even with our Ni) once IKE_AUTH is under way is dropped', () => {
    const { x, init } = attempt();
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    expect(auth.length).toBeGreaterThan(0);
    // an attacker who saw our IKE_SA_INIT replays a REDIRECT-only answer to it
    const forged = x.deliver(x.gw.answerInit(init, CLIENT, { redirect: NEW_GW }));
    expect(onlyDropped(forged)).toBe(true);
    expect(x.session.state).toBe('ike-auth');
    // and the real IKE_AUTH answer still completes the SA
    expect(x.deliverAll(x.gw.answerAuth(auth)).some((o) => o.type === 'established')).toBe(true);
  });
});

describe('redirect loops', () => {
  it('follows 5 redirects within 300 s and refuses the 6th (redirect-loop)', () => {
    let redirects: number[] = [];
    let server = GATEWAY;
    let now = 1_000_000;
    const hops = ['198.51.100.1', '198.51.100.2', '198.51.100.1', '198.51.100.2', '198.51.100.1'];
    for (const [i, address] of [...hops, '198.51.100.2'].entries()) {
      const x = new Exchange(
        sessionConfig({ server, redirects, redirectedFrom: i ? server : undefined }),
        responderFor({ address: server }),
      );
      x.now = now;
      const init = onlySent(x.start());
      const reason = closedReason(
        x.deliver(x.gw.answerInit(init, CLIENT, { redirect: { kind: 'ipv4', address } })),
      )!;
      if (i < 5) {
        expect(reason).toMatchObject({ kind: 'redirected', redirects: expect.any(Array) });
        if (reason.kind !== 'redirected') throw new Error('unreachable');
        expect(reason.redirects).toHaveLength(i + 1);
        redirects = reason.redirects;
        server = { address, port: 500 };
        now += 10_000;
      } else {
        expect(reason).toMatchObject({
          kind: 'failed',
          error: { code: 'redirect-loop', detail: expect.stringContaining('6 redirects') },
        });
      }
    }
  });

  it('forgets redirects older than 300 s', () => {
    const old = [1, 2, 3, 4, 5].map((n) => 1_000_000 - 400_000 + n);
    const { x, init } = attempt({ redirects: old });
    const reason = closedReason(x.deliver(x.gw.answerInit(init, CLIENT, { redirect: NEW_GW })));
    expect(reason).toMatchObject({ kind: 'redirected', redirects: [x.now] });
  });

  it('a gateway redirecting to itself is a loop', () => {
    const { x, init } = attempt();
    const out = x.deliver(
      x.gw.answerInit(init, CLIENT, { redirect: { kind: 'ipv4', address: GATEWAY.address } }),
    );
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'redirect-loop', detail: '192.0.2.1 redirected us to itself' },
    });
  });
});

describe('redirect in IKE_AUTH (authenticated, RFC 5685 §6)', () => {
  it('after verifying the gateway: deletes the IKE SA without waiting, then ends "redirected"', () => {
    const { x, init } = attempt();
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    //             <-- IKE_AUTH SK{ IDr, AUTH, N(REDIRECT, 198.51.100.9) }
    // INFORMATIONAL SK{ D(IKE) } -->   (no answer awaited)
    const out = x.deliverAll(x.gw.answerAuth(auth, { redirect: NEW_GW }));
    const del = x.gw.open(onlySent(out));
    expect(del).toMatchObject({ exchangeType: ExchangeType.INFORMATIONAL, response: false });
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(of(out, 'install-child-sa')).toEqual([]);
    expect(of(out, 'established')).toEqual([]);
    expect(closedReason(out)).toMatchObject({
      kind: 'redirected',
      to: NEW_GW,
      stage: 'ike-auth',
    });
  });

  it('a REDIRECT beside an AUTH that does not verify is not followed', () => {
    const { x, init } = attempt();
    const auth = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT)));
    const out = x.deliverAll(x.gw.answerAuth(auth, { redirect: NEW_GW, corruptAuth: true }));
    expect(timelineEvents(out).map((e) => e.kind)).not.toContain('redirected');
    expect(closedReason(out)).toMatchObject({
      kind: 'failed',
      error: { code: 'authentication-failed', by: 'us' },
    });
  });
});

describe('gateway-initiated redirect (RFC 5685 §5)', () => {
  it('acknowledges, deletes the IKE SA, then ends "redirected" (the Child SA goes with it)', () => {
    const x = establish();
    const child = of(x.log, 'install-child-sa')[0]!.sa;
    //             <-- INFORMATIONAL SK{ N(REDIRECT, vpn2.example.com) }
    // INFORMATIONAL SK{} -->   (the acknowledgement)
    // INFORMATIONAL SK{ D(IKE) } -->
    const out = x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [
        notify(
          NotifyStatusType.REDIRECT,
          encodeRedirectData({
            target: { kind: 'fqdn', name: 'vpn2.example.com' },
            nonce: new Uint8Array(0),
          }),
        ),
      ]),
    );
    const [ack, del] = sentBytes(out).map((b) => x.gw.open(b));
    expect(ack).toMatchObject({ response: true, payloads: [] });
    expect(del!.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(timelineEvents(out)).toContainEqual({ kind: 'redirected', to: 'vpn2.example.com' });
    expect(closedReason(out)).toBeUndefined();
    //             <-- INFORMATIONAL SK{}
    const end = x.deliver(x.gw.respond(del!));
    expect(of(end, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: child.spiIn, spiOut: child.spiOut },
    ]);
    expect(closedReason(end)).toEqual({
      kind: 'redirected',
      to: { kind: 'fqdn', name: 'vpn2.example.com' },
      from: GATEWAY,
      stage: 'established',
      redirects: [x.now],
    });
  });

  it('a malformed REDIRECT is acknowledged and ignored', () => {
    const x = establish();
    const out = x.deliver(
      x.gw.request(ExchangeType.INFORMATIONAL, [
        notify(NotifyStatusType.REDIRECT, Uint8Array.of(3, 9, 0x41)),
      ]),
    );
    expect(x.gw.open(onlySent(out))).toMatchObject({ response: true, payloads: [] });
    expect(timelineEvents(out)[0]).toMatchObject({ kind: 'dropped' });
    expect(x.session.state).toBe('established');
  });
});
