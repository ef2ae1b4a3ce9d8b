import { beforeEach, describe, expect, it, vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

beforeEach(() => {
  fakeElectron.reset();
  vi.resetModules();
});

describe('preload', () => {
  it('exposes exactly one object, window.tsunagi, with the calls and listeners of the schema', async () => {
    await import('../../../../electron/preload/index.js');
    const world = fakeElectron.contextBridge.mainWorld;
    expect(Object.keys(world)).toEqual(['tsunagi']);
    const api = world['tsunagi'] as Record<string, Record<string, unknown>>;
    const shape = Object.fromEntries(
      Object.entries(api).map(([group, members]) => [group, Object.keys(members).sort()]),
    );
    expect(shape).toEqual({
      app: ['getSnapshot'],
      connection: ['connect', 'disconnect', 'listenChanged', 'listenStats'],
      logs: ['export', 'listenEntry'],
      profiles: [
        'chooseFile',
        'delete',
        'duplicate',
        'export',
        'get',
        'import',
        'list',
        'listenChanged',
        'save',
        'validate',
      ],
      settings: ['listenChanged', 'update'],
      network: ['current', 'trustCurrent'],
    });
    for (const members of Object.values(api)) {
      for (const member of Object.values(members)) expect(typeof member).toBe('function');
    }
  });

  it('does not hand the page the ipcRenderer itself or the IPC event', async () => {
    await import('../../../../electron/preload/index.js');
    const api = fakeElectron.contextBridge.mainWorld['tsunagi'] as {
      settings: { listenChanged(listener: (...args: unknown[]) => void): () => void };
    };
    const { FakeWebContents } = await import('../../../support/fake-electron.js');
    const contents = new FakeWebContents();
    fakeElectron.ipcRenderer.attach(contents);
    const calls: unknown[][] = [];
    const unsubscribe = api.settings.listenChanged((...args) => calls.push(args));
    contents.send('settings.changed', { theme: 'dark' });
    unsubscribe();
    expect(calls).toEqual([[{ theme: 'dark' }]]);
    expect(JSON.stringify(Object.keys(api))).not.toContain('ipcRenderer');
  });
});
