/**
 * The edge around one sans-I/O IkeSession: real timers, the clock, UDP, and the data plane.
 * Every output of `session.handle()` is performed here and nowhere else.
 */
import type {
  ChildRekeyReason,
  ChildSaKeys,
  Endpoint,
  IkeCloseReason,
  IkeOutput,
  IkeTimelineEvent,
  IkeTimer,
  TunnelConfig,
} from '../ike/ike-events.js';
import type { IkeSession } from '../ike/ike-session.js';
import { addNonEspMarker, demuxUdp4500, natKeepalive } from '../esp/udp-encap.js';
import { NATT_PORT } from '../constants.js';
import type { UdpDatagram, UdpTransport } from '../platform/udp/udp-transport.js';

/** Where Child SAs go: the ESP data plane (or a recorder in tests). */
export interface ChildSaSink {
  install(sa: ChildSaKeys): void;
  remove(spiIn: number, spiOut: number): void;
  /** ESP-in-UDP received on 4500 (SPI first). */
  esp(packet: Uint8Array): void;
}

export interface IkeRunnerEvents {
  timeline(event: IkeTimelineEvent, at: number): void;
  established(config: TunnelConfig): void;
  closed(reason: IkeCloseReason): void;
}

export class IkeRunner {
  private readonly timers = new Map<IkeTimer, NodeJS.Timeout>();
  /** When each armed timer is due (clock of `now`), for status: e.g. the next rekey. */
  private readonly dueAt = new Map<IkeTimer, number>();
  private transport: UdpTransport | undefined;
  private closed = false;
  /** Inbound ESP seen since the last liveness note to the session, and when the last one came. */
  private inboundSeen = false;
  private lastEspAt = 0;
  private readonly livenessTimer: NodeJS.Timeout;

  constructor(
    private readonly session: IkeSession,
    private readonly sink: ChildSaSink,
    private readonly events: IkeRunnerEvents,
    private readonly now: () => number = Date.now,
  ) {
    // ESP traffic proves the peer alive: tell the session once a second at most, not per packet.
    this.livenessTimer = setInterval(() => {
      if (!this.inboundSeen) return;
      this.inboundSeen = false;
      // the packet's own time, not the tick's: DPD must count from the last traffic, or it fires
      // up to a tick late
      this.session.noteInboundTraffic(this.lastEspAt);
    }, 1000);
    this.livenessTimer.unref();
  }

  attach(transport: UdpTransport): void {
    this.transport = transport;
  }

  start(): void {
    this.perform(this.session.handle({ type: 'start' }, this.now()));
  }

  close(): void {
    this.perform(this.session.handle({ type: 'close' }, this.now()));
  }

  /** The local path changed: MOBIKE from `local`, or a re-establishment if that is impossible. */
  roam(local: Endpoint): void {
    this.perform(this.session.handle({ type: 'roam', local }, this.now()));
  }

  /** The data plane asks for an early rekey of the Child SA it receives on with `spiIn`. */
  rekeyChild(spiIn: number, reason: ChildRekeyReason): void {
    if (this.closed) return;
    this.perform(this.session.handle({ type: 'rekey-child', spiIn, reason }, this.now()));
  }

  /** When `timer` is due (the `now` clock), or undefined when it is not armed. */
  timerAt(timer: IkeTimer): number | undefined {
    return this.dueAt.get(timer);
  }

  probe(): void {
    this.perform(this.session.handle({ type: 'probe' }, this.now()));
  }

  /** Everything the UDP sockets receive. */
  onDatagram(d: UdpDatagram): void {
    if (this.closed) return;
    if (d.to.port === NATT_PORT) {
      const kind = demuxUdp4500(d.bytes);
      switch (kind.kind) {
        case 'ike':
          return this.perform(
            this.session.handle(
              { type: 'datagram', bytes: kind.message, from: d.from, to: d.to },
              this.now(),
            ),
          );
        case 'esp':
          this.inboundSeen = true;
          this.lastEspAt = this.now();
          return this.sink.esp(kind.packet);
        case 'keepalive':
        case 'malformed':
          return;
      }
    }
    this.perform(
      this.session.handle({ type: 'datagram', bytes: d.bytes, from: d.from, to: d.to }, this.now()),
    );
  }

  private perform(outputs: IkeOutput[]): void {
    for (const o of outputs) {
      switch (o.type) {
        case 'send': {
          const bytes = o.nonEspMarker ? addNonEspMarker(o.bytes) : o.bytes;
          this.transport?.send(bytes, o.from.port, o.to);
          break;
        }
        case 'send-keepalive':
          this.transport?.send(natKeepalive(), o.from.port, o.to);
          break;
        case 'arm-timer': {
          clearTimeout(this.timers.get(o.timer));
          const t = setTimeout(
            () => {
              this.timers.delete(o.timer);
              this.dueAt.delete(o.timer);
              if (!this.closed)
                this.perform(this.session.handle({ type: 'timer', timer: o.timer }, this.now()));
            },
            Math.max(0, o.at - this.now()),
          );
          this.timers.set(o.timer, t);
          this.dueAt.set(o.timer, o.at);
          break;
        }
        case 'cancel-timer':
          clearTimeout(this.timers.get(o.timer));
          this.timers.delete(o.timer);
          this.dueAt.delete(o.timer);
          break;
        case 'install-child-sa':
          this.sink.install(o.sa);
          break;
        case 'remove-child-sa':
          this.sink.remove(o.spiIn, o.spiOut);
          break;
        case 'update-child-sa-endpoints':
          break;
        case 'established':
          this.events.established(o.config);
          break;
        case 'event':
          this.events.timeline(o.event, this.now());
          break;
        case 'closed':
          this.closed = true;
          for (const t of this.timers.values()) clearTimeout(t);
          this.timers.clear();
          this.dueAt.clear();
          clearInterval(this.livenessTimer);
          this.events.closed(o.reason);
          break;
      }
    }
  }
}
