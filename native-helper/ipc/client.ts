/**
 * A client of the helper's socket (the CLI; the Electron main process can use the same class or
 * its own over the same protocol): connects, says hello, matches responses to requests by id
 * and hands events to a listener. Every frame from the helper is validated too.
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from './framing.js';
import {
  parseHelperFrame,
  PROTOCOL_VERSION,
  type ClientFrame,
  type ErrorCode,
  type HelperEvent,
  type Result,
} from './protocol.js';

export class HelperError extends Error {
  constructor(
    readonly code: ErrorCode | 'connection-closed' | 'protocol',
    message: string,
  ) {
    super(message);
  }
}

type Request = ClientFrame extends infer F
  ? F extends ClientFrame
    ? Omit<F, 'id'>
    : never
  : never;

export class HelperClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Result) => void; reject: (e: Error) => void }
  >();
  private readonly listeners = new Set<(e: HelperEvent) => void>();
  private readonly closeListeners = new Set<(e?: Error) => void>();
  private closed: HelperError | undefined;

  private constructor(private readonly socket: Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (data: Buffer) => {
      for (const d of decoder.push(data)) {
        if (d.kind !== 'frame') {
          this.fail(new HelperError('protocol', `unreadable frame from the helper (${d.kind})`));
          return;
        }
        const parsed = parseHelperFrame(d.value);
        if (!parsed.ok) {
          this.fail(
            new HelperError('protocol', `invalid frame from the helper: ${parsed.message}`),
          );
          return;
        }
        const frame = parsed.frame;
        if (frame.type === 'event') {
          for (const l of this.listeners) l(frame);
          continue;
        }
        const waiter = frame.id === null ? undefined : this.pending.get(frame.id);
        if (!waiter) {
          // an error about the connection itself (forbidden, oversized…): fails everything
          if (!frame.ok) this.fail(new HelperError(frame.error.code, frame.error.message));
          continue;
        }
        this.pending.delete(frame.id!);
        if (frame.ok) waiter.resolve(frame.result);
        else waiter.reject(new HelperError(frame.error.code, frame.error.message));
      }
    });
    socket.on('error', (e) => this.fail(new HelperError('connection-closed', e.message)));
    socket.on('close', () =>
      this.fail(
        this.closed ?? new HelperError('connection-closed', 'the helper closed the connection'),
      ),
    );
  }

  /** Connects and completes the hello exchange. */
  static async open(path: string, client = 'tsunagi-cli'): Promise<HelperClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const c = new HelperClient(socket);
    await c.request({ method: 'hello', version: PROTOCOL_VERSION, client });
    return c;
  }

  request(request: Request): Promise<Result> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(encodeFrame({ ...request, id }));
    });
  }

  onEvent(listener: (e: HelperEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(listener: (e?: Error) => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.closed ??= new HelperError('connection-closed', 'closed by the client');
    this.socket.end();
    this.socket.destroy();
  }

  private fail(e: HelperError): void {
    const first = !this.closed;
    this.closed ??= e;
    for (const w of this.pending.values()) w.reject(this.closed);
    this.pending.clear();
    this.socket.destroy();
    if (first) for (const l of this.closeListeners) l(this.closed);
  }
}
