// The app's file dialogs on top of Electron's `dialog`: import and export a profile, export the
// log, and pick a certificate, private key or CA file for the profile editor. Thin glue, given
// Electron's dialog and the window (main-process.ts), so the fake `electron` drives it in tests.

import type { BrowserWindow, Dialog, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { ProfileFileKind } from '../shared/ipc-schema.js';
import type { ProfileFileDialogs } from './ipc-handlers.js';

type DialogLike = Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;

const PEM_FILTERS = {
  certificate: [
    { name: 'Certificate (PEM)', extensions: ['pem', 'crt', 'cer'] },
    { name: 'All files', extensions: ['*'] },
  ],
  'private-key': [
    { name: 'Private key (PEM)', extensions: ['pem', 'key'] },
    { name: 'All files', extensions: ['*'] },
  ],
  ca: [
    { name: 'CA certificate (PEM)', extensions: ['pem', 'crt', 'cer'] },
    { name: 'All files', extensions: ['*'] },
  ],
} as const satisfies Record<ProfileFileKind, OpenDialogOptions['filters']>;

/** The open dialog for one of a profile's files: its title and what it lists first. */
export function profileFileDialogOptions(kind: ProfileFileKind): OpenDialogOptions {
  const title = {
    certificate: 'Choose your certificate',
    'private-key': 'Choose your private key',
    ca: 'Choose the CA certificate that issued the gateway’s certificate',
  }[kind];
  return {
    title,
    properties: ['openFile', 'dontAddToRecent'],
    filters: PEM_FILTERS[kind].map((f) => ({ name: f.name, extensions: [...f.extensions] })),
  };
}

export function electronFileDialogs(
  dialog: DialogLike,
  window: () => BrowserWindow | null,
): ProfileFileDialogs {
  const open = async (options: OpenDialogOptions) => {
    const parent = window();
    const result = parent
      ? await dialog.showOpenDialog(parent, options)
      : await dialog.showOpenDialog(options);
    return result.canceled ? undefined : result.filePaths[0];
  };
  const save = async (options: SaveDialogOptions) => {
    const parent = window();
    const result = parent
      ? await dialog.showSaveDialog(parent, options)
      : await dialog.showSaveDialog(options);
    return result.canceled || !result.filePath ? undefined : result.filePath;
  };
  return {
    chooseProfileToImport: () =>
      open({
        title: 'Import a Tsunagi profile',
        properties: ['openFile'],
        filters: [{ name: 'Tsunagi profile', extensions: ['json'] }],
      }),
    chooseExportPath: (suggestedName) =>
      save({
        title: 'Export the profile (without secrets)',
        defaultPath: suggestedName,
        filters: [{ name: 'Tsunagi profile', extensions: ['json'] }],
      }),
    chooseLogExportPath: (suggestedName) =>
      save({
        title: 'Export the log',
        defaultPath: suggestedName,
        filters: [{ name: 'Text', extensions: ['txt', 'log'] }],
      }),
    chooseProfileFile: (kind) => open(profileFileDialogOptions(kind)),
  };
}
