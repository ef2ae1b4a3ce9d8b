// Bundles the Node-side programs into dist/ (the renderer is built by Vite: vite.config.ts).
//   dist/native-helper/cli.js     the `tsunagi` CLI and the helper daemon (`tsunagi-helper`)
//   dist/electron/main.js         Electron main process (ESM)
//   dist/electron/preload.cjs     preload: sandboxed preloads must be a single CommonJS file
// Runs at `npm ci` (prepare) so `npx tsunagi` works straight from a checkout. npm links the bins of
// dependencies into node_modules/.bin but never the package's own, so that link is made here.
import { existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { build } from 'esbuild';

if (existsSync('node_modules')) {
  mkdirSync('node_modules/.bin', { recursive: true });
  for (const name of ['tsunagi', 'tsunagi-helper']) {
    const link = `node_modules/.bin/${name}`;
    try {
      if (lstatSync(link)) unlinkSync(link);
    } catch {
      // no previous link
    }
    symlinkSync(`../../native-helper/bin/${name}.js`, link);
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // native addons are loaded at run time from their build directory
  external: ['*.node'],
};

await Promise.all([
  build({
    ...common,
    entryPoints: { cli: 'native-helper/cli/main.ts' },
    outdir: 'dist/native-helper',
    format: 'esm',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  }),
  build({
    ...common,
    entryPoints: { main: 'electron/main/index.ts' },
    outdir: 'dist/electron',
    format: 'esm',
    // keytar is a native module: it must be loaded from node_modules, never bundled
    external: [...common.external, 'electron', 'keytar'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  }),
  build({
    ...common,
    entryPoints: { preload: 'electron/preload/index.ts' },
    outdir: 'dist/electron',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    external: ['electron'],
  }),
]);
