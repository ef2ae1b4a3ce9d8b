import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../../native-helper/ipc/framing.js';
import { parseClientFrame, PROTOCOL_VERSION } from '../../../../native-helper/ipc/protocol.js';

describe('framing', () => {
  it('round-trips frames split at any byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (values, cuts) => {
          const bytes = Buffer.concat(values.map((v) => encodeFrame(v)));
          const d = new FrameDecoder();
          const out: unknown[] = [];
          let at = 0;
          let i = 0;
          while (at < bytes.length) {
            const n = cuts[i++ % cuts.length]!;
            for (const x of d.push(bytes.subarray(at, at + n))) {
              expect(x.kind).toBe('frame');
              if (x.kind === 'frame') out.push(x.value);
            }
            at += n;
          }
          expect(out).toEqual(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
          expect(d.pending).toBe(0);
        },
      ),
    );
  });

  it('reports oversized lengths once and stops decoding', () => {
    const d = new FrameDecoder(16);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(17);
    expect(d.push(head)).toEqual([{ kind: 'too-large', length: 17 }]);
    expect(d.push(encodeFrame(1))).toEqual([]);
  });

  it('reports bad JSON and bad UTF-8 and continues with the next frame', () => {
    const bad = Buffer.from('{nope');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bad.length);
    const badUtf = Buffer.from([0, 0, 0, 2, 0xc3, 0x28]);
    const out = new FrameDecoder().push(Buffer.concat([len, bad, badUtf, encodeFrame({ a: 1 })]));
    expect(out.map((o) => o.kind)).toEqual(['malformed', 'malformed', 'frame']);
  });

  it('encoder refuses frames over the limit', () => {
    expect(() => encodeFrame('x'.repeat(100), 10)).toThrow(RangeError);
  });
});

describe('protocol schema', () => {
  it('accepts the documented requests', () => {
    for (const f of [
      { id: 1, method: 'hello', version: PROTOCOL_VERSION },
      { id: 2, method: 'status' },
      { id: 3, method: 'subscribe', topics: ['state', 'log'] },
      { id: 4, method: 'set-settings', settings: { lockdown: true } },
      { id: 5, method: 'connect', profile: { version: 1 }, secrets: { a: 'b' }, baseDir: '/x' },
      { id: 6, method: 'disconnect' },
    ])
      expect(parseClientFrame(f).ok).toBe(true);
  });

  it('rejects unknown methods, extra keys and wrong types, naming the field', () => {
    expect(parseClientFrame({ id: 1, method: 'reboot' }).ok).toBe(false);
    expect(parseClientFrame({ id: 1, method: 'status', extra: 1 }).ok).toBe(false);
    const r = parseClientFrame({ id: 1, method: 'set-settings', settings: { lockdown: 'yes' } });
    expect(r).toEqual({ ok: false, message: expect.stringContaining('settings.lockdown') });
    expect(parseClientFrame({ id: -1, method: 'status' }).ok).toBe(false);
    expect(
      parseClientFrame({ id: 1, method: 'connect', profile: {}, baseDir: 'relative' }).ok,
    ).toBe(false);
  });
});
