// Entry point of the Electron main process (bundled to dist/electron/main.js).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { resolveAppPaths } from './app-paths.js';
import { startMainProcess } from './main-process.js';

const paths = resolveAppPaths(path.dirname(fileURLToPath(import.meta.url)));

startMainProcess(paths).catch((error: unknown) => {
  console.error('Tsunagi could not start:', error);
  app.exit(1);
});
