// `npm run package:dir [-- --output DIR]`: builds the unpacked Linux app offline, from a local
// Electron distribution, into DIR/linux-unpacked (default build/release/linux-unpacked):
//   TSUNAGI_ELECTRON_DIST=<directory holding the `electron` executable> npm run package:dir
// It is electron-builder's `--linux dir` with electronDist set (no download) and npmRebuild off
// (rebuilding keytar for Electron needs Electron's headers; keytar is Node-API, so the Node build
// loads in Electron too). Installers need the network: see the release commands at the top of
// electron-builder.yml. test/unit/packaging/electron-builder.spec.ts runs this same script.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function fail(message) {
  process.stderr.write(`package:dir: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let output;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--output' && args[i + 1] !== undefined) output = path.resolve(args[++i]);
  else fail(`unknown argument '${args[i]}'; usage: npm run package:dir [-- --output DIR]`);
}

const electronDist = process.env.TSUNAGI_ELECTRON_DIST;
if (electronDist === undefined || electronDist === '')
  fail(
    'TSUNAGI_ELECTRON_DIST is not set: set it to an unpacked Electron distribution (the directory ' +
      'holding the `electron` executable, e.g. electron-v45.4.1-linux-x64.zip unpacked), since ' +
      'no Electron can be downloaded here',
  );
const distDir = path.resolve(electronDist);
if (!existsSync(distDir) || !statSync(distDir).isDirectory())
  fail(`TSUNAGI_ELECTRON_DIST=${electronDist} is not a directory`);
try {
  accessSync(path.join(distDir, 'electron'), constants.X_OK);
} catch {
  fail(
    `TSUNAGI_ELECTRON_DIST=${electronDist} has no executable 'electron': is it an unpacked Electron for Linux?`,
  );
}

const needed = [
  ['dist/electron/main.js', 'npm run build'],
  ['dist/electron/preload.cjs', 'npm run build'],
  ['dist/renderer/index.html', 'npm run build'],
  ['dist/native-helper/cli.js', 'npm run build'],
  ['native-helper/native/build/Release/tsunagi_tun.node', 'npm ci (builds the native addons)'],
  ['native-helper/native/build/Release/tsunagi_peercred.node', 'npm ci (builds the native addons)'],
];
for (const [file, fix] of needed)
  if (!existsSync(path.join(root, file))) fail(`${file} is missing: run ${fix} first`);

const builderArgs = [
  path.join(root, 'node_modules', 'electron-builder', 'cli.js'),
  '--linux',
  'dir',
  '--projectDir',
  root,
  `-c.electronDist=${distDir}`,
  '-c.npmRebuild=false',
  '--publish',
  'never',
];
if (output !== undefined) builderArgs.push(`-c.directories.output=${output}`);
const run = spawnSync(process.execPath, builderArgs, { cwd: root, stdio: 'inherit' });
if (run.error) fail(`cannot run electron-builder: ${run.error.message}`);
process.exit(run.status ?? 1);
