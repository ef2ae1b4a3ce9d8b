/**
 * The helper's socket: accepts clients on a Unix socket, checks each peer's uid with
 * SO_PEERCRED, reads length-prefixed JSON frames, validates every one against the protocol
 * schema before dispatch, and streams state, statistics, settings, timeline and log events to
 * subscribers. The recent log and the current connection's timeline are kept in ring buffers
 * (HISTORY_LIMITS) so a client that subscribes late starts from them.
 * A bad frame gets an error response; only that client can be disconnected by it.
 */
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../ipc/framing.js';
import {
  isAllowed,
  peerCredentials as kernelPeerCredentials,
  type AccessPolicy,
  type PeerCredentials,
} from '../ipc/peer-credentials.js';
import {
  EVENT_TOPICS,
  HISTORY_LIMITS,
  parseClientFrame,
  PROTOCOL_VERSION,
  type ClientFrame,
  type ErrorCode,
  type EventTopic,
  type HelperEvent,
  type LogComponent,
  type LogEntry,
  type LogLevel,
  type Result,
  type Settings,
  type Stats,
  type Status,
  type TimelineEntry,
  type TunnelState,
} from '../ipc/protocol.js';
import type { TunnelStateMachine } from '../tunnel/state-machine.js';
import { buildConnectTarget, ConnectRefused, type Resolver } from './connect-target.js';
import { redact } from './redact.js';
import { stateTimelineEntries } from './timeline.js';

/** More than this many bytes queued for a client that does not read: it is dropped. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const MAX_CLIENTS = 64;

export interface HelperServerOptions {
  socketPath: string;
  access: AccessPolicy;
  machine: TunnelStateMachine;
  version: string;
  resolve: Resolver;
  saveSettings: (settings: Settings) => Promise<void>;
  /** SO_PEERCRED by default; tests may inject. */
  peerCredentials?: (socket: Socket) => PeerCredentials;
  /** Where the helper's own log goes (stderr → journald); already redacted. */
  log?: (line: string) => void;
  /** The socket's group (chown root:gid, mode 0660). */
  socketGid?: number;
  statsIntervalMs?: number;
}

interface Client {
  socket: Socket;
  peer: PeerCredentials;
  hello: boolean;
  topics: Set<EventTopic> | undefined;
}

const ZERO_STATS: Stats = {
  at: 0,
  bytesIn: 0,
  bytesOut: 0,
  packetsIn: 0,
  packetsOut: 0,
  drops: 0,
  rateIn: 0,
  rateOut: 0,
  ike: '',
  esp: '',
};

export class HelperServer {
  private server: Server | undefined;
  private readonly clients = new Set<Client>();
  private secrets: readonly string[] = [];
  private lastStats: Stats = ZERO_STATS;
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly logs: LogEntry[] = [];
  private readonly timeline: TimelineEntry[] = [];
  private lastState: TunnelState | undefined;

  constructor(private readonly options: HelperServerOptions) {}

  /** Called by the machine's onState (wired by the daemon). */
  onState(state: TunnelState): void {
    this.log(
      state.state === 'error' ? 'warn' : 'info',
      `state ${state.state}${'reason' in state ? ` (${state.reason})` : ''}${state.state === 'error' ? `: ${state.message}` : ''}`,
      'tunnel',
    );
    if (state.state !== 'connected') this.lastStats = { ...ZERO_STATS, at: Date.now() };
    const previous = this.lastState;
    this.lastState = state;
    this.broadcast({ type: 'event', event: 'state', state });
    for (const entry of stateTimelineEntries(previous, state, Date.now())) this.onTimeline(entry);
  }

  /** A milestone of the current connection (the machine's onTimeline, and state changes). */
  onTimeline(entry: TimelineEntry): void {
    const clean = { ...entry, text: redact(entry.text, this.secrets) };
    push(this.timeline, clean, HISTORY_LIMITS.timeline);
    this.broadcast({ type: 'event', event: 'timeline', entry: clean });
  }

  /** One log line: redacted, kept for late subscribers, written to the daemon's log, broadcast. */
  log(level: LogLevel, text: string, component: LogComponent = 'helper'): void {
    const clean = redact(text, this.secrets);
    this.options.log?.(`${level}: [${component}] ${clean}`);
    const entry: LogEntry = { at: Date.now(), level, component, text: clean.slice(0, 16 * 1024) };
    push(this.logs, entry, HISTORY_LIMITS.logs);
    this.broadcast({ type: 'event', event: 'log', entry });
  }

  /** The recent log and the current (or last) connection's timeline, oldest first. */
  history(): { timeline: TimelineEntry[]; logs: LogEntry[] } {
    return { timeline: [...this.timeline], logs: [...this.logs] };
  }

  async listen(): Promise<void> {
    const path = this.options.socketPath;
    // systemd makes /run/tsunagi (RuntimeDirectory); by hand (`sudo tsunagi-helper`) we do
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await rm(path, { force: true });
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // umask-independent: create, then tighten before anyone is accepted (accept runs the
      // uid check anyway, the mode only keeps others from even connecting)
      server.listen(path, () => resolve());
    });
    server.on('error', (e) => this.log('error', `socket: ${e.message}`));
    await chmod(path, this.options.socketGid !== undefined ? 0o660 : 0o666);
    if (this.options.socketGid !== undefined) await chown(path, 0, this.options.socketGid);
    const every = this.options.statsIntervalMs ?? 1000;
    this.statsTimer = setInterval(() => this.sampleStats(every), every);
    this.statsTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.statsTimer);
    for (const c of this.clients) c.socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    await rm(this.options.socketPath, { force: true });
  }

  status(): Status {
    return {
      helper: this.options.version,
      protocolVersion: PROTOCOL_VERSION,
      state: this.options.machine.describe(),
      settings: this.options.machine.settings,
      stats: this.lastStats,
      firewall: this.options.machine.firewall(),
    };
  }

  private sampleStats(intervalMs: number): void {
    const s = this.options.machine.stats();
    const state = this.options.machine.describe();
    if (!s || state.state !== 'connected') return;
    const prev = this.lastStats;
    const now = Date.now();
    const dt = prev.at ? Math.max((now - prev.at) / 1000, 0.001) : intervalMs / 1000;
    this.lastStats = {
      at: now,
      packetsIn: s.packetsIn,
      bytesIn: s.bytesIn,
      packetsOut: s.packetsOut,
      bytesOut: s.bytesOut,
      drops: s.drops,
      ...(s.rekey ? { rekey: s.rekey } : {}),
      rateIn: Math.max(0, (s.bytesIn - prev.bytesIn) / dt),
      rateOut: Math.max(0, (s.bytesOut - prev.bytesOut) / dt),
      ike: state.ike,
      esp: state.esp,
    };
    this.broadcast({ type: 'event', event: 'stats', stats: this.lastStats });
  }

  private accept(socket: Socket): void {
    let peer: PeerCredentials;
    try {
      peer = (this.options.peerCredentials ?? kernelPeerCredentials)(socket);
    } catch (e) {
      this.log('warn', `refused a client: ${(e as Error).message}`);
      socket.destroy();
      return;
    }
    socket.on('error', () => undefined);
    if (!isAllowed(peer, this.options.access)) {
      this.log(
        'warn',
        `refused uid ${peer.uid} (pid ${peer.pid}): not allowed to control the helper`,
      );
      this.send(
        socket,
        this.error(null, 'forbidden', `uid ${peer.uid} may not control the helper`),
      );
      // read (and drop) whatever comes, so the peer's end is seen and the socket really closes
      socket.resume();
      socket.end();
      return;
    }
    if (this.clients.size >= MAX_CLIENTS) {
      this.send(socket, this.error(null, 'busy', `too many clients (${MAX_CLIENTS})`));
      socket.resume();
      socket.end();
      return;
    }
    const client: Client = { socket, peer, hello: false, topics: undefined };
    this.clients.add(client);
    const decoder = new FrameDecoder();
    let closing = false;
    socket.on('data', (data: Buffer) => {
      if (closing) return;
      for (const d of decoder.push(data)) {
        if (d.kind === 'too-large') {
          this.send(
            socket,
            this.error(null, 'frame-too-large', `a frame of ${d.length} bytes is over the limit`),
          );
          closing = true;
          socket.end();
          return;
        }
        if (d.kind === 'malformed') {
          this.send(socket, this.error(null, 'malformed-frame', d.message));
          continue;
        }
        this.handleValue(client, d.value).catch((e: Error) => {
          this.log('error', `request failed: ${e.message}`);
          this.send(socket, this.error(null, 'internal', 'the request failed inside the helper'));
        });
      }
    });
    socket.on('end', () => {
      if (decoder.pending > 0 && !closing)
        this.send(
          socket,
          this.error(null, 'malformed-frame', `truncated frame (${decoder.pending} bytes pending)`),
        );
      socket.end();
    });
    socket.on('close', () => this.clients.delete(client));
  }

  private async handleValue(client: Client, value: unknown): Promise<void> {
    const parsed = parseClientFrame(value);
    if (!parsed.ok) {
      const id =
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { id?: unknown }).id === 'number'
          ? (value as { id: number }).id
          : null;
      this.send(client.socket, this.error(id, 'invalid-request', parsed.message));
      return;
    }
    const frame = parsed.frame;
    if (frame.method === 'hello') {
      if (frame.version !== PROTOCOL_VERSION) {
        this.send(
          client.socket,
          this.error(
            frame.id,
            'unsupported-version',
            `this helper speaks protocol version ${PROTOCOL_VERSION}, not ${frame.version}`,
          ),
        );
        client.socket.end();
        return;
      }
      client.hello = true;
      this.respond(client, frame.id, {
        kind: 'hello',
        version: PROTOCOL_VERSION,
        helper: this.options.version,
        uid: client.peer.uid,
      });
      return;
    }
    if (!client.hello) {
      this.send(client.socket, this.error(frame.id, 'hello-required', 'send hello first'));
      return;
    }
    await this.dispatch(client, frame);
  }

  private async dispatch(
    client: Client,
    frame: Exclude<ClientFrame, { method: 'hello' }>,
  ): Promise<void> {
    const machine = this.options.machine;
    switch (frame.method) {
      case 'status':
        this.respond(client, frame.id, { kind: 'status', status: this.status() });
        return;
      case 'subscribe': {
        const topics = frame.topics ?? [...EVENT_TOPICS];
        client.topics = new Set(topics);
        this.respond(client, frame.id, {
          kind: 'subscribed',
          topics,
          status: this.status(),
          history: this.history(),
        });
        return;
      }
      case 'set-settings': {
        const settings = { ...machine.settings, ...frame.settings };
        await this.options.saveSettings(settings);
        await machine.updateSettings(settings);
        this.log('info', `settings: ${JSON.stringify(settings)} (uid ${client.peer.uid})`);
        this.broadcast({ type: 'event', event: 'settings', settings });
        this.respond(client, frame.id, { kind: 'settings', settings });
        return;
      }
      case 'connect': {
        const name = machine.state.name;
        if (name !== 'disconnected' && name !== 'error') {
          this.send(
            client.socket,
            this.error(frame.id, 'busy', `the tunnel is ${name}; disconnect first`),
          );
          return;
        }
        let target;
        try {
          target = await buildConnectTarget(
            frame.profile,
            frame.secrets,
            frame.baseDir,
            this.options.resolve,
            frame.files,
          );
        } catch (e) {
          if (e instanceof ConnectRefused) {
            this.send(
              client.socket,
              this.error(frame.id, e.code, redact(e.message, Object.values(frame.secrets ?? {}))),
            );
            return;
          }
          throw e;
        }
        this.secrets = target.secrets;
        // a new connection starts a new timeline (a reconnect of the same one does not)
        this.timeline.length = 0;
        this.log(
          'info',
          `connect ${target.profile.name} (${target.profile.server} → ${target.gateway.address}) by uid ${client.peer.uid}`,
        );
        await machine.dispatch({ type: 'connect', target });
        this.respond(client, frame.id, { kind: 'accepted', state: machine.describe() });
        return;
      }
      case 'disconnect': {
        if (machine.state.name === 'disconnected') {
          this.send(
            client.socket,
            this.error(frame.id, 'not-connected', 'there is no tunnel to disconnect'),
          );
          return;
        }
        this.log('info', `disconnect by uid ${client.peer.uid}`);
        await machine.dispatch({ type: 'disconnect' });
        this.respond(client, frame.id, { kind: 'accepted', state: machine.describe() });
        return;
      }
    }
  }

  private respond(client: Client, id: number, result: Result): void {
    this.send(client.socket, { type: 'response', id, ok: true, result });
  }

  private error(id: number | null, code: ErrorCode, message: string) {
    return { type: 'response', id, ok: false, error: { code, message } } as const;
  }

  private broadcast(event: HelperEvent): void {
    const topic = event.event;
    for (const c of this.clients) if (c.topics?.has(topic)) this.send(c.socket, event);
  }

  private send(socket: Socket, frame: unknown): void {
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > MAX_QUEUED_BYTES) {
      socket.destroy();
      return;
    }
    socket.write(encodeFrame(frame));
  }
}

/** Appends to a ring buffer of at most `limit` entries. */
function push<T>(ring: T[], item: T, limit: number): void {
  ring.push(item);
  if (ring.length > limit) ring.splice(0, ring.length - limit);
}
