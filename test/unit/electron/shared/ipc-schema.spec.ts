import { describe, expect, it } from 'vitest';
import { ipcSchema } from '../../../../electron/shared/ipc-schema.js';

describe('ipcSchema', () => {
  it('declares the app, connection, profiles and settings domains', () => {
    const shape = Object.fromEntries(
      Object.entries(ipcSchema).map(([group, calls]) => [
        group,
        Object.fromEntries(Object.entries(calls).map(([name, call]) => [name, call.kind])),
      ]),
    );
    expect(shape).toEqual({
      app: { getSnapshot: 'invoke' },
      connection: { changed: 'notify' },
      profiles: { list: 'invoke', changed: 'notify' },
      settings: { changed: 'notify' },
    });
  });

  it('accepts no arguments for argument-less calls', () => {
    expect(ipcSchema.app.getSnapshot.isArgs(undefined)).toBe(true);
    expect(ipcSchema.app.getSnapshot.isArgs({})).toBe(false);
    expect(ipcSchema.profiles.list.isArgs(null)).toBe(false);
  });
});
