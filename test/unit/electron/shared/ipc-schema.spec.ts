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
      connection: { connect: 'invoke', disconnect: 'invoke', changed: 'notify', stats: 'notify' },
      logs: { entry: 'notify', export: 'invoke' },
      profiles: {
        list: 'invoke',
        get: 'invoke',
        validate: 'invoke',
        save: 'invoke',
        delete: 'invoke',
        duplicate: 'invoke',
        import: 'invoke',
        export: 'invoke',
        chooseFile: 'invoke',
        changed: 'notify',
      },
      settings: { update: 'invoke', changed: 'notify' },
      network: { current: 'invoke', trustCurrent: 'invoke' },
    });
  });

  it('checks the shape of connect and log export arguments', () => {
    expect(ipcSchema.connection.connect.isArgs({ id: 'office' })).toBe(true);
    expect(ipcSchema.connection.connect.isArgs({ id: '' })).toBe(false);
    expect(ipcSchema.connection.connect.isArgs({ id: 'office', secret: 'x' })).toBe(false);
    expect(ipcSchema.logs.export.isArgs({ text: 'a\nb' })).toBe(true);
    expect(ipcSchema.logs.export.isArgs({ text: 1 })).toBe(false);
    expect(ipcSchema.logs.export.isArgs({ text: 'x'.repeat(4 * 1024 * 1024 + 1) })).toBe(false);
  });

  it('lets the file picker ask only for the three kinds of profile file', () => {
    for (const kind of ['certificate', 'private-key', 'ca'])
      expect(ipcSchema.profiles.chooseFile.isArgs({ kind })).toBe(true);
    expect(ipcSchema.profiles.chooseFile.isArgs({ kind: 'key' })).toBe(false);
    expect(ipcSchema.profiles.chooseFile.isArgs({ kind: 'ca', path: '/etc/shadow' })).toBe(false);
    expect(ipcSchema.profiles.chooseFile.isArgs(undefined)).toBe(false);
  });

  it('checks the shape of profile and settings arguments', () => {
    expect(ipcSchema.profiles.get.isArgs({ id: 'office' })).toBe(true);
    expect(ipcSchema.profiles.get.isArgs({ id: '' })).toBe(false);
    expect(ipcSchema.profiles.get.isArgs({ id: 'a', extra: 1 })).toBe(false);
    expect(ipcSchema.profiles.save.isArgs({ profile: {}, secret: 'x' })).toBe(true);
    expect(ipcSchema.profiles.save.isArgs({ profile: [], secret: 'x' })).toBe(false);
    expect(ipcSchema.profiles.save.isArgs({ profile: {}, secret: 1 })).toBe(false);
    expect(ipcSchema.profiles.save.isArgs({ profile: {}, password: 'x' })).toBe(false);
    expect(ipcSchema.settings.update.isArgs({ killSwitch: true })).toBe(true);
    expect(ipcSchema.settings.update.isArgs({ killSwitch: 'on' })).toBe(false);
    expect(ipcSchema.settings.update.isArgs({ unknown: true })).toBe(false);
    expect(
      ipcSchema.settings.update.isArgs({
        trustedNetworks: {
          enabled: true,
          wifi: [{ ssid: 'Home', bssids: ['00:11:22:33:44:55'] }],
          wired: [{}],
          onTrusted: 'disconnect',
          onUntrusted: 'connect',
          alwaysConnectOnOpenWifi: true,
        },
      }),
    ).toBe(false);
  });

  it('accepts no arguments for argument-less calls', () => {
    expect(ipcSchema.app.getSnapshot.isArgs(undefined)).toBe(true);
    expect(ipcSchema.app.getSnapshot.isArgs({})).toBe(false);
    expect(ipcSchema.profiles.list.isArgs(null)).toBe(false);
  });
});
