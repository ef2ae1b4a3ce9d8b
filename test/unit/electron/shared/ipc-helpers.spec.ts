import { describe, expect, it, vi } from 'vitest';
import {
  createIpcMain,
  createIpcRenderer,
  invoke,
  IpcCallError,
  noArgs,
  notifyRenderer,
  type IpcMainOptions,
} from '../../../../electron/shared/ipc-helpers.js';
import { createFakeElectron, FakeWebContents } from '../../../support/fake-electron.js';

const PAGE = 'file:///opt/tsunagi/dist/renderer/index.html';

const isName = (value: unknown): value is { name: string } =>
  typeof value === 'object' && value !== null && 'name' in value && typeof value.name === 'string';

const schema = {
  greeting: {
    hello: invoke<{ name: string }, string>(isName),
    ping: invoke<void, 'pong'>(noArgs),
    changed: notifyRenderer<{ count: number }>(),
  },
  other: {
    fail: invoke<void, never>(noArgs),
  },
} as const;

function setUp(options: Partial<IpcMainOptions> = {}) {
  const electron = createFakeElectron();
  const contents = new FakeWebContents();
  contents.mainFrame.url = PAGE;
  const main = createIpcMain(schema, electron.ipcMain, () => contents, {
    isAllowedSender: (frame) => frame.url === PAGE && frame.parent === null,
    ...options,
  });
  const rendererIpc = electron.connectRenderer(contents);
  const renderer = createIpcRenderer(schema, rendererIpc);
  return { electron, contents, main, rendererIpc, renderer };
}

describe('createIpcMain / createIpcRenderer', () => {
  it('carries a call and its typed result from renderer to main and back', async () => {
    const { main, renderer } = setUp();
    main.handle.greeting.hello(({ name }) => `hello ${name}`);
    main.handle.greeting.ping(() => 'pong');

    await expect(renderer.greeting.hello({ name: 'ada' })).resolves.toEqual({
      ok: true,
      value: 'hello ada',
    });
    await expect(renderer.greeting.ping()).resolves.toEqual({ ok: true, value: 'pong' });
  });

  it('derives channel names from the schema keys only', () => {
    const { electron, main } = setUp();
    main.handle.greeting.hello(() => '');
    main.handle.greeting.ping(() => 'pong');
    main.handle.other.fail(() => {
      throw new Error('no');
    });
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual([
      'greeting.hello',
      'greeting.ping',
      'other.fail',
    ]);
  });

  it('lists calls without a handler and refuses a second handler', () => {
    const { main } = setUp();
    expect(main.unhandled()).toEqual(['greeting.hello', 'greeting.ping', 'other.fail']);
    main.handle.greeting.ping(() => 'pong');
    expect(main.unhandled()).toEqual(['greeting.hello', 'other.fail']);
    expect(() => main.handle.greeting.ping(() => 'pong')).toThrow(/already has a handler/);
  });

  it('answers a call from a foreign frame with forbidden-sender, without running the handler', async () => {
    const { electron, contents, main } = setUp();
    const handler = vi.fn(() => 'pong' as const);
    main.handle.greeting.ping(handler);

    const foreignPage = new FakeWebContents();
    foreignPage.mainFrame.url = 'https://evil.example/';
    const foreign = createIpcRenderer(schema, electron.connectRenderer(foreignPage));
    const iframe = createIpcRenderer(
      schema,
      electron.connectRenderer(contents, { url: PAGE, parent: contents.mainFrame }),
    );

    for (const answer of [await foreign.greeting.ping(), await iframe.greeting.ping()]) {
      expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    }
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers arguments that do not match the schema with invalid-arguments', async () => {
    const { electron, main, rendererIpc } = setUp();
    const handler = vi.fn(() => 'hi');
    main.handle.greeting.hello(handler);
    main.handle.greeting.ping(() => 'pong');

    expect(await rendererIpc.invoke('greeting.hello', { nom: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments' },
    });
    expect(await rendererIpc.invoke('greeting.ping', 'extra')).toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments' },
    });
    expect(await rendererIpc.invoke('greeting.hello', { name: 'a' }, 'extra')).toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments' },
    });
    expect(handler).not.toHaveBeenCalled();
    expect(electron.ipcMain.handlers.size).toBe(2);
  });

  it('turns handler failures into error values, never rejections', async () => {
    const onUnexpectedError = vi.fn();
    const { main, renderer } = setUp({ onUnexpectedError });
    main.handle.greeting.hello(() => {
      throw new IpcCallError('profile-store-corrupt', 'the file is corrupt');
    });
    main.handle.other.fail(async () => {
      throw new TypeError('boom');
    });

    await expect(renderer.greeting.hello({ name: 'a' })).resolves.toEqual({
      ok: false,
      error: { code: 'profile-store-corrupt', message: 'the file is corrupt' },
    });
    await expect(renderer.other.fail()).resolves.toEqual({
      ok: false,
      error: { code: 'internal', message: 'other.fail failed: boom' },
    });
    expect(onUnexpectedError).toHaveBeenCalledTimes(1);
    expect(onUnexpectedError).toHaveBeenCalledWith('other.fail', expect.any(TypeError));
  });

  it('resolves to a transport error when main has no handler', async () => {
    const { renderer } = setUp();
    await expect(renderer.greeting.ping()).resolves.toEqual({
      ok: false,
      error: {
        code: 'transport',
        message: "greeting.ping: No handler registered for 'greeting.ping'",
      },
    });
  });

  it('delivers events to listeners (payload only) until they unsubscribe', () => {
    const { main, renderer, rendererIpc } = setUp();
    const seen: unknown[][] = [];
    const unsubscribe = renderer.greeting.listenChanged((...args) => seen.push(args));
    expect(rendererIpc.listenerCount('greeting.changed')).toBe(1);

    main.notify.greeting.changed({ count: 1 });
    unsubscribe();
    main.notify.greeting.changed({ count: 2 });

    expect(seen).toEqual([[{ count: 1 }]]);
    expect(rendererIpc.listenerCount('greeting.changed')).toBe(0);
  });

  it('drops events when there is no live window', () => {
    const electron = createFakeElectron();
    let contents: FakeWebContents | null = null;
    const main = createIpcMain(schema, electron.ipcMain, () => contents, {
      isAllowedSender: () => true,
    });
    expect(() => main.notify.greeting.changed({ count: 1 })).not.toThrow();
    contents = new FakeWebContents();
    contents.destroyed = true;
    expect(() => main.notify.greeting.changed({ count: 1 })).not.toThrow();
    expect(contents.sent).toEqual([]);
  });

  it('removes its handlers on dispose', async () => {
    const { electron, main, renderer } = setUp();
    main.handle.greeting.ping(() => 'pong');
    main.dispose();
    expect(electron.ipcMain.handlers.size).toBe(0);
    expect(await renderer.greeting.ping()).toMatchObject({
      ok: false,
      error: { code: 'transport' },
    });
  });

  it('gives the renderer exactly the calls and listeners of the schema', () => {
    const { renderer } = setUp();
    expect(Object.keys(renderer).sort()).toEqual(['greeting', 'other']);
    expect(Object.keys(renderer.greeting).sort()).toEqual(['hello', 'listenChanged', 'ping']);
    expect(Object.keys(renderer.other)).toEqual(['fail']);
  });
});
