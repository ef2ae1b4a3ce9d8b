/**
 * The helper's socket end to end over a real Unix socket with real SO_PEERCRED: hello and
 * version, validation of every frame, hostile frames, access control, concurrent subscribers,
 * redaction of secrets, settings persistence. The tunnel and firewall are in-memory doubles.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HelperServer } from '../../../../native-helper/daemon/server.js';
import { startHelper, type RunningHelper } from '../../../../native-helper/daemon/main.js';
import { HelperClient, HelperError } from '../../../../native-helper/ipc/client.js';
import { encodeFrame, FrameDecoder } from '../../../../native-helper/ipc/framing.js';
import {
  HISTORY_LIMITS,
  MAX_FRAME_BYTES,
  parseClientFrame,
  parseHelperFrame,
  PROTOCOL_VERSION,
  type HelperEvent,
  type HelperFrame,
  type Stats,
} from '../../../../native-helper/ipc/protocol.js';
import { TunnelStateMachine } from '../../../../native-helper/tunnel/state-machine.js';
import { FakeDriver, MemoryFirewall, UP } from '../tunnel/doubles.js';

const PSK = 'lab-psk-0123456789abcdef';
const PROFILE = {
  version: 1,
  name: 'Lab',
  server: '198.51.100.10',
  remoteId: 'vpn.lab.test',
  localId: 'client1@psk.lab.test',
  auth: { method: 'psk', secret: { keychain: 'lab' } },
};

/** A raw client: writes bytes, collects every frame the helper sends back. */
class Raw {
  readonly frames: HelperFrame[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      for (const x of this.decoder.push(d)) {
        if (x.kind !== 'frame') throw new Error(`helper sent ${x.kind}`);
        const p = parseHelperFrame(x.value);
        if (!p.ok) throw new Error(`helper sent an invalid frame: ${p.message}`);
        this.frames.push(p.frame);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((r) => socket.on('close', () => r()));
  }
  static open(path: string): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }
  send(value: unknown): void {
    this.socket.write(encodeFrame(value));
  }
  async waitFor(n: number, ms = 3000): Promise<HelperFrame[]> {
    const start = Date.now();
    while (this.frames.length < n) {
      if (Date.now() - start > ms)
        throw new Error(
          `got ${this.frames.length} frames, wanted ${n}: ${JSON.stringify(this.frames)}`,
        );
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.frames;
  }
  errorCodes(): string[] {
    return this.frames.flatMap((f) => (f.type === 'response' && !f.ok ? [f.error.code] : []));
  }
}

const hello = (id = 1) => ({ id, method: 'hello', version: PROTOCOL_VERSION, client: 'test' });

let dir: string;
let socketPath: string;
let server: HelperServer;
let machine: TunnelStateMachine;
let firewall: MemoryFirewall;
let fake: FakeDriver;
let logLines: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-helper-'));
  chmodSync(dir, 0o755);
  socketPath = join(dir, 'helper.sock');
  firewall = new MemoryFirewall();
  fake = new FakeDriver();
  logLines = [];
  const sink: { server?: HelperServer } = {};
  machine = new TunnelStateMachine({
    firewall,
    driver: fake.driver,
    settings: { killSwitch: true, lockdown: false, allowLan: false },
    onState: (s) => sink.server?.onState(s),
    onLog: (level, text, component) => sink.server?.log(level, text, component),
    onTimeline: (entry) => sink.server?.onTimeline(entry),
  });
  server = new HelperServer({
    socketPath,
    access: { uids: new Set() },
    machine,
    version: 'test',
    resolve: (h) => Promise.resolve(h),
    saveSettings: () => Promise.resolve(),
    log: (l) => logLines.push(l),
    statsIntervalMs: 50,
  });
  sink.server = server;
  await machine.start();
  await server.listen();
});

afterEach(async () => {
  machine.dispose();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('helper socket', () => {
  it('hello returns the version and the peer uid from SO_PEERCRED', async () => {
    const c = await HelperClient.open(socketPath);
    const r = await c.request({ method: 'status' });
    expect(r).toMatchObject({ kind: 'status', status: { state: { state: 'disconnected' } } });
    c.close();
    const raw = await Raw.open(socketPath);
    raw.send(hello(7));
    const [f] = await raw.waitFor(1);
    expect(f).toEqual({
      type: 'response',
      id: 7,
      ok: true,
      result: { kind: 'hello', version: PROTOCOL_VERSION, helper: 'test', uid: process.getuid!() },
    });
    raw.socket.destroy();
  });

  it('requires hello first and refuses another protocol version; other clients keep being served', async () => {
    const other = await HelperClient.open(socketPath);
    const events: HelperEvent[] = [];
    other.onEvent((e) => events.push(e));
    await other.request({ method: 'subscribe', topics: ['settings'] });
    const raw = await Raw.open(socketPath);
    raw.send({ id: 1, method: 'status' });
    raw.send({ id: 2, method: 'hello', version: PROTOCOL_VERSION + 1 });
    await raw.waitFor(2);
    expect(raw.errorCodes()).toEqual(['hello-required', 'unsupported-version']);
    await raw.closed;
    // the other client still gets answers and events
    expect(await other.request({ method: 'status' })).toMatchObject({ kind: 'status' });
    await other.request({ method: 'set-settings', settings: { allowLan: true } });
    await vi.waitFor(() => expect(events.map((e) => e.event)).toEqual(['settings']));
    other.close();
  });

  it('answers malformed, invalid, oversized and truncated frames with errors and keeps serving', async () => {
    const other = await HelperClient.open(socketPath);
    const raw = await Raw.open(socketPath);
    raw.send(hello());
    const junk = Buffer.from('{"id": 3, "method"');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(junk.length);
    raw.socket.write(Buffer.concat([len, junk]));
    raw.send({ id: 4, method: 'self-destruct' });
    raw.send({ id: 5, method: 'status', extra: true });
    raw.send([1, 2, 3]);
    await raw.waitFor(5);
    expect(raw.errorCodes()).toEqual([
      'malformed-frame',
      'invalid-request',
      'invalid-request',
      'invalid-request',
    ]);
    expect(
      raw.frames.filter((f) => f.type === 'response').map((f) => (f as { id: unknown }).id),
    ).toEqual([1, null, 4, 5, null]);

    const big = Buffer.alloc(4);
    big.writeUInt32BE(MAX_FRAME_BYTES + 1);
    raw.socket.write(big);
    await raw.waitFor(6);
    expect(raw.errorCodes().at(-1)).toBe('frame-too-large');
    await raw.closed;

    const trunc = await Raw.open(socketPath);
    trunc.send(hello());
    const t = Buffer.alloc(4);
    t.writeUInt32BE(100);
    trunc.socket.end(Buffer.concat([t, Buffer.from('{"id":')]));
    await trunc.waitFor(2);
    expect(trunc.errorCodes()).toEqual(['malformed-frame']);

    expect(await other.request({ method: 'status' })).toMatchObject({ kind: 'status' });
    other.close();
  });

  it('1,000 random byte streams (frames, raw bytes, random length prefixes): each answered as the framing says, never a crash, others still served', async () => {
    const control = await HelperClient.open(socketPath);
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    const request = fc.record(
      {
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        method: fc.constantFrom(
          'hello',
          'connect',
          'disconnect',
          'status',
          'set-settings',
          'subscribe',
          'x',
        ),
        version: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer(), fc.string()),
        settings: fc.anything(),
        profile: fc.anything(),
        secrets: fc.anything(),
        topics: fc.anything(),
      },
      { requiredKeys: ['method'] },
    );
    const chunk = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => encodeFrame(v)),
      request.map((v) => encodeFrame(v)),
      // a right length around random bytes: bad UTF-8 or bad JSON, mostly
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([u32(b.length), b])),
      // a random length prefix: truncated, oversized, or swallowing what follows
      fc
        .tuple(
          fc.oneof(
            fc.integer({ min: 0, max: 200 }),
            fc.integer({ min: 0, max: 0xffffffff }),
            fc.constant(MAX_FRAME_BYTES + 1),
          ),
          fc.uint8Array({ maxLength: 64 }),
        )
        .map(([n, b]) => Buffer.concat([u32(n), b])),
      // bytes with no framing at all
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
    );
    const stream = fc.tuple(fc.array(chunk, { minLength: 1, maxLength: 6 }), fc.nat());

    await fc.assert(
      fc.asyncProperty(stream, async ([chunks, cut]) => {
        const bytes = Buffer.concat(chunks);
        // the model: what the helper's framing makes of these bytes after a valid hello
        let framingErrors = 0;
        let most = 1; // the hello's answer
        let asyncRequests = 0;
        let terminated = false;
        const model = new FrameDecoder();
        for (const d of model.push(bytes)) {
          most++;
          if (d.kind !== 'frame') framingErrors++;
          if (d.kind === 'too-large') {
            terminated = true;
            break;
          }
          if (d.kind !== 'frame') continue;
          const p = parseClientFrame(d.value);
          if (!p.ok) continue;
          if (p.frame.method === 'hello' && p.frame.version !== PROTOCOL_VERSION) {
            terminated = true; // answered, then the connection is closed
            break;
          }
          // answered after an await: may come after our end, when the helper can no longer write
          if (['connect', 'set-settings', 'disconnect'].includes(p.frame.method)) asyncRequests++;
        }
        if (!terminated && model.pending > 0) {
          most++;
          framingErrors++; // truncated
        }

        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(socketPath, () => resolve(s));
          s.once('error', reject);
        });
        const got: unknown[] = [];
        const bad: string[] = [];
        const decoder = new FrameDecoder();
        socket.on('data', (d: Buffer) => {
          for (const x of decoder.push(d)) {
            if (x.kind !== 'frame') bad.push(x.kind);
            else if (!parseHelperFrame(x.value).ok) bad.push(JSON.stringify(x.value));
            else got.push(x.value);
          }
        });
        socket.on('error', () => undefined);
        const closed = new Promise<void>((r) => socket.on('close', () => r()));
        socket.write(encodeFrame(hello()));
        const at = bytes.length ? cut % bytes.length : 0;
        socket.write(bytes.subarray(0, at));
        socket.end(bytes.subarray(at));
        const timeout = new Promise<'hang'>((r) => setTimeout(() => r('hang'), 5_000));
        expect(await Promise.race([closed, timeout])).not.toBe('hang');

        expect(bad).toEqual([]);
        const responses = got as { type: string; ok: boolean; error?: { code: string } }[];
        const answers = responses.filter((f) => f.type === 'response');
        expect(answers[0]).toMatchObject({ ok: true, result: { kind: 'hello' } });
        const framing = answers.filter(
          (f) => f.error?.code === 'malformed-frame' || f.error?.code === 'frame-too-large',
        );
        expect(framing).toHaveLength(framingErrors);
        expect(answers.length).toBeLessThanOrEqual(most);
        expect(answers.length).toBeGreaterThanOrEqual(most - asyncRequests);
        // another client is served all along
        expect(await control.request({ method: 'status' })).toMatchObject({ kind: 'status' });
      }),
      { numRuns: 1000, seed: 42 },
    );
    control.close();
    const fresh = await HelperClient.open(socketPath);
    expect(await fresh.request({ method: 'status' })).toMatchObject({ kind: 'status' });
    fresh.close();
  }, 120_000);

  it('refuses a peer whose uid is not allowed (real SO_PEERCRED, uid 65534)', async () => {
    const script = `
      const net = require('node:net');
      const s = net.connect(${JSON.stringify(socketPath)});
      const chunks = [];
      s.on('data', (d) => chunks.push(d));
      s.on('close', () => { process.stdout.write(Buffer.concat(chunks).subarray(4).toString()); });
      s.on('error', (e) => { process.stdout.write('ERR ' + e.code); });
    `;
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.on('exit', r));
    const frame = JSON.parse(out) as { ok: boolean; error: { code: string; message: string } };
    expect(frame).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(frame.error.message).toContain('65534');
    expect(logLines.some((l) => l.includes('refused uid 65534'))).toBe(true);
  });

  it('concurrent subscribers see the same state stream; secrets never appear', async () => {
    const a = await HelperClient.open(socketPath);
    const b = await HelperClient.open(socketPath);
    const seenA: HelperEvent[] = [];
    const seenB: HelperEvent[] = [];
    a.onEvent((e) => seenA.push(e));
    b.onEvent((e) => seenB.push(e));
    await a.request({ method: 'subscribe' });
    await b.request({ method: 'subscribe' });
    const missing = await a
      .request({ method: 'connect', profile: PROFILE, secrets: {} })
      .catch((e: HelperError) => e);
    expect(missing).toBeInstanceOf(HelperError);
    expect((missing as HelperError).code).toBe('invalid-profile');
    const r = await a.request({ method: 'connect', profile: PROFILE, secrets: { lab: PSK } });
    expect(r).toMatchObject({
      kind: 'accepted',
      state: { state: 'connecting', gateway: '198.51.100.10' },
    });
    expect((fake.last.target.profile.auth as { secret: string }).secret).toBe(PSK);
    fake.last.callbacks.log(`debug dump: psk=${PSK}`);
    fake.last.callbacks.up(UP);
    fake.last.stats.bytesIn = 1000;
    await new Promise((r) => setTimeout(r, 150));
    expect(
      await b
        .request({ method: 'connect', profile: PROFILE, secrets: { lab: PSK } })
        .catch((e: HelperError) => e.code),
    ).toBe('busy');
    await b.request({ method: 'disconnect' });
    await new Promise((r) => setTimeout(r, 50));
    const states = (s: HelperEvent[]) =>
      s.flatMap((e) => (e.event === 'state' ? [e.state.state] : []));
    expect(states(seenA)).toEqual(['connecting', 'connected', 'disconnecting', 'disconnected']);
    expect(states(seenB)).toEqual(states(seenA));
    const stats = seenA.find((e) => e.event === 'stats');
    expect(stats).toMatchObject({ stats: { bytesIn: 1000, ike: UP.ike, esp: UP.esp } });
    const everything = JSON.stringify(seenA) + JSON.stringify(seenB) + logLines.join('\n');
    expect(everything).toContain('psk=<redacted>');
    expect(everything).not.toContain(PSK);
    a.close();
    b.close();
  });

  it('stats events: packets and bytes from the tunnel, rates over the interval, rekey times', async () => {
    const c = await HelperClient.open(socketPath);
    const stats: Stats[] = [];
    c.onEvent((e) => {
      if (e.event === 'stats') stats.push(e.stats);
    });
    await c.request({ method: 'subscribe', topics: ['stats'] });
    await c.request({ method: 'connect', profile: PROFILE, secrets: { lab: PSK } });
    fake.last.callbacks.up(UP);
    const rekey = {
      ike: { last: null, next: Date.now() + 3_000_000 },
      child: { last: Date.now() - 5_000, next: Date.now() + 600_000 },
    };
    fake.last.stats = {
      packetsIn: 10,
      bytesIn: 1_000,
      packetsOut: 12,
      bytesOut: 2_000,
      drops: 1,
      rekey,
    };
    await vi.waitFor(() => expect(stats.length).toBeGreaterThan(0));
    // 50 ms later: 40 more packets, 50 kB more each way
    fake.last.stats = {
      packetsIn: 50,
      bytesIn: 51_000,
      packetsOut: 52,
      bytesOut: 52_000,
      drops: 1,
      rekey,
    };
    await vi.waitFor(() => expect(stats.at(-1)?.packetsIn).toBe(50));
    const last = stats.at(-1)!;
    expect(last).toMatchObject({
      packetsIn: 50,
      packetsOut: 52,
      bytesIn: 51_000,
      drops: 1,
      ike: UP.ike,
      esp: UP.esp,
      rekey,
    });
    const prev = stats[stats.indexOf(last) - 1]!;
    const seconds = (last.at - prev.at) / 1000;
    expect(last.rateIn).toBeGreaterThan(0);
    expect(last.rateIn).toBeCloseTo((last.bytesIn - prev.bytesIn) / seconds, 0);
    expect(last.rateOut).toBeCloseTo((last.bytesOut - prev.bytesOut) / seconds, 0);
    const st = await c.request({ method: 'status' });
    expect(st).toMatchObject({ status: { stats: { rekey }, firewall: { applied: 'connected' } } });
    c.close();
  });

  it('set-settings applies the current state policy again and tells subscribers', async () => {
    const a = await HelperClient.open(socketPath);
    const events: HelperEvent[] = [];
    a.onEvent((e) => events.push(e));
    await a.request({ method: 'subscribe', topics: ['settings'] });
    const r = await a.request({ method: 'set-settings', settings: { lockdown: true } });
    expect(r).toEqual({
      kind: 'settings',
      settings: { killSwitch: true, lockdown: true, allowLan: false },
    });
    expect(firewall.last).toEqual({ kind: 'blocked', allowLan: false });
    await new Promise((r) => setTimeout(r, 20));
    expect(events.map((e) => e.event)).toEqual(['settings']);
    expect(await a.request({ method: 'disconnect' }).catch((e: HelperError) => e.code)).toBe(
      'not-connected',
    );
    a.close();
  });
});

describe('group access over a real socket (SO_PEERCRED, SO_PEERGROUPS, socket mode)', () => {
  const GID = 47_123; // a group made up for the test: only numbers matter to the kernel
  /** Says hello as another user; prints the first frame's JSON, or ERR <code>. */
  const CLIENT = `
    const net = require('node:net');
    const s = net.connect(process.argv[1], () => {
      const body = Buffer.from(JSON.stringify({ id: 1, method: 'hello', version: ${PROTOCOL_VERSION} }));
      const len = Buffer.alloc(4); len.writeUInt32BE(body.length);
      s.write(Buffer.concat([len, body]));
    });
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        process.stdout.write(buf.subarray(4, 4 + buf.readUInt32BE(0)).toString());
        s.destroy();
      }
    });
    s.on('error', (e) => process.stdout.write('ERR ' + e.code));
  `;
  const helloAs = async (
    path: string,
    who: { uid: number; gid: number; groups?: number[] },
  ): Promise<string> => {
    const child = who.groups
      ? spawn('setpriv', [
          `--reuid=${who.uid}`,
          `--regid=${who.gid}`,
          `--groups=${who.groups.join(',')}`,
          process.execPath,
          '-e',
          CLIENT,
          path,
        ])
      : spawn(process.execPath, ['-e', CLIENT, path], { uid: who.uid, gid: who.gid });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((r) => child.on('exit', r));
    if (!out) throw new Error(`the client said nothing: ${err}`);
    return out;
  };
  const servers: HelperServer[] = [];
  const serve = async (name: string, options: { socketGid?: number; memberUids?: number[] }) => {
    const path = join(dir, name);
    const s = new HelperServer({
      socketPath: path,
      access: {
        uids: new Set(),
        gid: GID,
        memberUids: new Set(options.memberUids ?? []),
      },
      machine,
      version: 'test',
      resolve: (h) => Promise.resolve(h),
      saveSettings: () => Promise.resolve(),
      log: (l) => logLines.push(l),
      ...(options.socketGid !== undefined ? { socketGid: options.socketGid } : {}),
    });
    servers.push(s);
    await s.listen();
    return path;
  };
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('socket 0660 root:gid; members by primary or supplementary group get in, others not even connect', async () => {
    const path = await serve('group.sock', { socketGid: GID });
    const st = statSync(path);
    expect(st.mode & 0o777).toBe(0o660);
    expect([st.uid, st.gid]).toEqual([0, GID]);

    const primary = JSON.parse(await helloAs(path, { uid: 65534, gid: GID })) as unknown;
    expect(primary).toMatchObject({ ok: true, result: { kind: 'hello', uid: 65534 } });
    const supplementary = JSON.parse(
      await helloAs(path, { uid: 65534, gid: 65534, groups: [100, GID] }),
    ) as unknown;
    expect(supplementary).toMatchObject({ ok: true, result: { kind: 'hello', uid: 65534 } });
    // the socket's mode stops a non-member before the helper sees it
    expect(await helloAs(path, { uid: 65534, gid: 65534, groups: [100] })).toBe('ERR EACCES');
  });

  it('the peer check alone (socket open to all): non-members forbidden, /etc/group members allowed', async () => {
    const path = await serve('open.sock', { memberUids: [65533] });
    expect(statSync(path).mode & 0o777).toBe(0o666);
    const refused = JSON.parse(await helloAs(path, { uid: 65534, gid: 65534, groups: [100] })) as {
      error: { code: string; message: string };
    };
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(refused.error.message).toContain('uid 65534');
    // listed in /etc/group (read at start) though this process lacks the group: allowed
    expect(JSON.parse(await helloAs(path, { uid: 65533, gid: 65533 }))).toMatchObject({
      ok: true,
      result: { uid: 65533 },
    });
    // the group among the process's supplementary groups (SO_PEERGROUPS) is enough
    expect(
      JSON.parse(await helloAs(path, { uid: 65534, gid: 65534, groups: [GID] })),
    ).toMatchObject({ ok: true, result: { uid: 65534 } });
  });
});

describe('history, timeline and component-tagged log', () => {
  it('a late subscriber gets the connection timeline and the log; a new connect starts a new timeline', async () => {
    const a = await HelperClient.open(socketPath);
    const seen: HelperEvent[] = [];
    a.onEvent((e) => seen.push(e));
    await a.request({ method: 'subscribe', topics: ['timeline', 'log'] });
    await a.request({ method: 'connect', profile: PROFILE, secrets: { lab: PSK } });
    fake.last.callbacks.timeline({ at: 1, kind: 'dpd-sent', text: `Dead-peer check sent ${PSK}` });
    fake.last.callbacks.log('ESP replay window moved', 'esp', 'debug');
    fake.last.callbacks.up(UP);
    await new Promise((r) => setTimeout(r, 30));

    const late = await HelperClient.open(socketPath);
    const r = await late.request({ method: 'subscribe' });
    if (r.kind !== 'subscribed') throw new Error(r.kind);
    expect(r.history.timeline.map((e) => e.kind)).toEqual([
      'dpd-sent',
      'virtual-ip',
      'routes',
      'dns',
    ]);
    expect(r.history.timeline[0]!.text).toBe('Dead-peer check sent <redacted>');
    expect(r.history.timeline[1]!.text).toBe('The gateway assigned 10.10.10.1');
    const components = new Set(r.history.logs.map((l) => l.component));
    expect(components).toEqual(new Set(['helper', 'tunnel', 'esp']));
    expect(r.history.logs).toContainEqual(
      expect.objectContaining({
        level: 'debug',
        component: 'esp',
        text: 'ESP replay window moved',
      }),
    );
    expect(
      r.history.logs.some((l) => l.component === 'helper' && l.text.startsWith('connect Lab')),
    ).toBe(true);
    // what the first subscriber saw live is what the late one got as history
    const live = seen.flatMap((e) => (e.event === 'timeline' ? [e.entry] : []));
    expect(live).toEqual(r.history.timeline);
    expect(seen.some((e) => e.event === 'log' && e.entry.component === 'esp')).toBe(true);

    await a.request({ method: 'disconnect' });
    await new Promise((r) => setTimeout(r, 30));
    const afterDown = await late.request({ method: 'subscribe' });
    if (afterDown.kind !== 'subscribed') throw new Error(afterDown.kind);
    // the last connection's timeline stays until the next connect, ending with how it closed
    expect(afterDown.history.timeline.at(-1)).toMatchObject({
      kind: 'closed',
      text: 'Disconnected',
    });

    await a.request({ method: 'connect', profile: PROFILE, secrets: { lab: PSK } });
    const fresh = await late.request({ method: 'subscribe' });
    if (fresh.kind !== 'subscribed') throw new Error(fresh.kind);
    expect(fresh.history.timeline).toEqual([]);
    a.close();
    late.close();
  });

  it('keeps at most HISTORY_LIMITS entries, the newest ones', async () => {
    for (let i = 0; i < HISTORY_LIMITS.logs + 50; i++) server.log('info', `line ${i}`);
    for (let i = 0; i < HISTORY_LIMITS.timeline + 20; i++)
      server.onTimeline({ at: i, kind: 'dpd-sent', text: `check ${i}` });
    const c = await HelperClient.open(socketPath);
    const r = await c.request({ method: 'subscribe', topics: [] });
    if (r.kind !== 'subscribed') throw new Error(r.kind);
    expect(r.history.logs).toHaveLength(HISTORY_LIMITS.logs);
    expect(r.history.logs.at(-1)).toMatchObject({
      component: 'helper',
      text: `line ${HISTORY_LIMITS.logs + 49}`,
    });
    expect(r.history.logs[0]!.text).toBe('line 50');
    expect(r.history.timeline).toHaveLength(HISTORY_LIMITS.timeline);
    expect(r.history.timeline[0]!.text).toBe('check 20');
    c.close();
  });
});

describe('startHelper', () => {
  let running: RunningHelper | undefined;
  afterEach(async () => {
    await running?.shutdown();
    running = undefined;
    delete process.env.TSUNAGI_CONFIG_DIR;
    delete process.env.TSUNAGI_STATE_DIR;
  });

  it('lockdown persists: a restarted helper blocks before it accepts clients', async () => {
    process.env.TSUNAGI_CONFIG_DIR = join(dir, 'config');
    process.env.TSUNAGI_STATE_DIR = join(dir, 'state');
    const path = join(dir, 'h2.sock');
    const fw1 = new MemoryFirewall();
    running = await startHelper({ socketPath: path, group: undefined, allowUids: [] }, 't', {
      firewall: fw1,
      driver: new FakeDriver().driver,
      log: () => undefined,
    });
    expect(fw1.applied).toEqual([{ kind: 'allow-all' }]);
    const c = await HelperClient.open(path);
    await c.request({ method: 'set-settings', settings: { lockdown: true } });
    c.close();
    await running.shutdown();
    expect(JSON.parse(readFileSync(join(dir, 'config', 'settings.json'), 'utf8'))).toMatchObject({
      lockdown: true,
    });
    const fw2 = new MemoryFirewall();
    running = await startHelper({ socketPath: path, group: undefined, allowUids: [] }, 't', {
      firewall: fw2,
      driver: new FakeDriver().driver,
      log: () => undefined,
    });
    expect(fw2.applied).toEqual([{ kind: 'blocked', allowLan: false }]);
  });

  it("creates the socket's folder when it is missing (started by hand, without systemd's RuntimeDirectory)", async () => {
    process.env.TSUNAGI_CONFIG_DIR = join(dir, 'config3');
    process.env.TSUNAGI_STATE_DIR = join(dir, 'state3');
    const path = join(dir, 'not-yet', 'there', 'helper.sock');
    running = await startHelper({ socketPath: path, group: undefined, allowUids: [] }, 't', {
      firewall: new MemoryFirewall(),
      driver: new FakeDriver().driver,
      log: () => undefined,
    });
    const c = await HelperClient.open(path);
    const r = await c.request({ method: 'status' });
    expect(r.kind).toBe('status');
    c.close();
  });
});
