// Where the built app's pieces are, relative to the bundled main (dist/electron/main.js), and the
// one rule for "is this URL our own page".

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SenderFrameLike } from '../shared/ipc-helpers.js';

export interface AppPaths {
  /** dist/renderer/index.html: the only page a window may show. */
  readonly rendererIndex: string;
  /** dist/electron/preload.cjs: sandboxed preloads must be one CommonJS file. */
  readonly preload: string;
  /** assets/tray: the tray icons (assets/ ships beside dist/). */
  readonly trayIcons: string;
}

/** `mainDir` is the directory of the bundled main module (dist/electron). */
export function resolveAppPaths(mainDir: string): AppPaths {
  return {
    rendererIndex: path.resolve(mainDir, '..', 'renderer', 'index.html'),
    preload: path.resolve(mainDir, 'preload.cjs'),
    trayIcons: path.resolve(mainDir, '..', '..', 'assets', 'tray'),
  };
}

/**
 * True when `url` is exactly our renderer page (file://…/dist/renderer/index.html; a query or a
 * fragment is allowed, another file, host or scheme is not).
 */
export function isOwnPageUrl(url: string, rendererIndex: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  let filePath: string;
  try {
    filePath = fileURLToPath(parsed);
  } catch {
    return false;
  }
  return path.resolve(filePath) === path.resolve(rendererIndex);
}

/** IPC is answered only for the top frame of our own page, never for an iframe or another page. */
export function createSenderPolicy(rendererIndex: string): (frame: SenderFrameLike) => boolean {
  return (frame) => frame.parent === null && isOwnPageUrl(frame.url, rendererIndex);
}
