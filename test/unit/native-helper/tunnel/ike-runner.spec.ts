/**
 * The data plane's early-rekey request reaches the engine through the runner: the soft limit
 * (injected small) trips in EspDataPlane, the runner hands `{ type: 'rekey-child' }` to the
 * session and performs what the session answers (here: a datagram to send). A closed runner
 * passes nothing on.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ChildSaKeys, IkeInput, IkeOutput } from '../../../../native-helper/ike/ike-events.js';
import type { IkeSession } from '../../../../native-helper/ike/ike-session.js';
import type { UdpTransport } from '../../../../native-helper/platform/udp/udp-transport.js';
import { EspDataPlane } from '../../../../native-helper/tunnel/data-plane.js';
import { IkeRunner } from '../../../../native-helper/tunnel/ike-runner.js';

const random = { bytes: (n: number) => new Uint8Array(n).fill(1) };
const SERVER = { address: '198.51.100.10', port: 4500 };
const LOCAL = { address: '203.0.113.2', port: 4500 };

/** A session double: records inputs, answers a rekey request with one datagram. */
function fakeSession(inputs: IkeInput[]) {
  return {
    handle(input: IkeInput): IkeOutput[] {
      inputs.push(input);
      if (input.type === 'rekey-child')
        return [
          {
            type: 'send',
            bytes: Uint8Array.of(1, 2, 3),
            from: LOCAL,
            to: SERVER,
            nonEspMarker: true,
          },
        ];
      if (input.type === 'close') return [{ type: 'closed', reason: { kind: 'deleted-by-us' } }];
      return [];
    },
    noteInboundTraffic() {},
  } as unknown as IkeSession;
}

function keys(): ChildSaKeys {
  const any4 = {
    family: 4 as const,
    protocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddress: '0.0.0.0',
    endAddress: '255.255.255.255',
  };
  return {
    spiIn: 0xc0ffee01,
    spiOut: 0x5eed0001,
    encr: 20,
    encrKeyBits: 128,
    integ: 0,
    encrKeyIn: new Uint8Array(20).fill(3),
    integKeyIn: new Uint8Array(0),
    encrKeyOut: new Uint8Array(20).fill(4),
    integKeyOut: new Uint8Array(0),
    tsLocal: [any4],
    tsRemote: [any4],
    local: LOCAL,
    remote: SERVER,
    proposal: 'aes128gcm16',
  };
}

describe('early Child SA rekey: data plane → runner → session', () => {
  it('the soft limit sends one rekey-child to the session, whose answer goes out', () => {
    const inputs: IkeInput[] = [];
    const sent: Uint8Array[] = [];
    const transport: UdpTransport = {
      localAddress: LOCAL.address,
      send: (bytes) => sent.push(bytes),
      sendMany: () => undefined,
      close: () => Promise.resolve(),
    };
    const plane = new EspDataPlane(
      () => undefined,
      () => undefined,
      random,
      { softSequenceLimit: 3, rekeyNeeded: (spi, why) => runner.rekeyChild(spi, why) },
    );
    // declared after the data plane it serves; the callback only runs once traffic flows
    const runner = new IkeRunner(fakeSession(inputs), plane, {
      timeline: () => undefined,
      established: () => undefined,
      closed: () => undefined,
    });
    runner.attach(transport);
    plane.install(keys());
    const packet = new Uint8Array(40);
    packet.set([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 10, 10, 1, 10, 99, 0, 10]);
    plane.outbound([packet, packet]);
    expect(inputs).toEqual([]);
    plane.outbound([packet, packet, packet]);
    expect(inputs).toEqual([{ type: 'rekey-child', spiIn: 0xc0ffee01, reason: 'seq-soft-limit' }]);
    // the session's answer is performed: IKE on 4500 with the non-ESP marker
    expect(sent.map((b) => [...b])).toEqual([[0, 0, 0, 0, 1, 2, 3]]);

    runner.close();
    expect(inputs.at(-1)).toEqual({ type: 'close' });
    const before = inputs.length;
    runner.rekeyChild(0xc0ffee01, 'seq-soft-limit');
    expect(inputs).toHaveLength(before);
  });
});

describe('ESP keeps the gateway alive for DPD', () => {
  it('the session hears the time of the last ESP packet, not the time of the once-a-second tick', async () => {
    vi.useFakeTimers();
    try {
      let clock = 10_000;
      const noted: number[] = [];
      const session = {
        handle: () => [],
        noteInboundTraffic: (at: number) => noted.push(at),
      } as unknown as IkeSession;
      const sink = { install() {}, remove() {}, esp() {} };
      const runner = new IkeRunner(
        session,
        sink,
        { timeline() {}, established() {}, closed() {} },
        () => clock,
      );
      const esp = Uint8Array.from([0x5e, 0xed, 0, 1, 0, 0, 0, 1, ...new Array(24).fill(7)]);
      // an ESP packet at 10.1 s; the tick that reports it runs at 11.0 s
      clock = 10_100;
      runner.onDatagram({ bytes: esp, from: SERVER, to: LOCAL });
      clock = 11_000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(noted).toEqual([10_100]);
      // no ESP since: the next tick says nothing (DPD counts from 10.1 s)
      clock = 12_000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(noted).toEqual([10_100]);
      runner.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('dispose', () => {
  it('an SA still deleting when the connection ends: its timers stop, nothing more is sent or asked', async () => {
    vi.useFakeTimers();
    try {
      const inputs: IkeInput[] = [];
      const sent: Uint8Array[] = [];
      const session = {
        handle(input: IkeInput): IkeOutput[] {
          inputs.push(input);
          // the delete goes out and waits for its answer (a retransmission timer)
          if (input.type === 'close')
            return [
              {
                type: 'send',
                bytes: Uint8Array.of(9),
                from: LOCAL,
                to: SERVER,
                nonEspMarker: true,
              },
              { type: 'arm-timer', timer: 'retransmit', at: Date.now() + 4_000 },
            ];
          return [];
        },
        noteInboundTraffic() {},
      } as unknown as IkeSession;
      const runner = new IkeRunner(
        session,
        { install() {}, remove() {}, esp() {} },
        {
          timeline() {},
          established() {},
          closed() {},
        },
      );
      runner.attach({
        localAddress: LOCAL.address,
        send: (b) => sent.push(b),
        sendMany: () => undefined,
        close: () => Promise.resolve(),
      });
      runner.close();
      expect(sent).toHaveLength(1);
      runner.dispose();
      expect(runner.isClosed).toBe(true);
      await vi.advanceTimersByTimeAsync(10_000);
      runner.probe();
      runner.roam(LOCAL);
      runner.close();
      expect(inputs.map((i) => i.type)).toEqual(['close']); // no timer input, nothing after
      expect(sent).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
