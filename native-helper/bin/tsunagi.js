#!/usr/bin/env node
// `tsunagi` launcher: runs the bundled CLI built by esbuild (npm ci builds it through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/native-helper/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(
    'tsunagi: the CLI is not built yet: run `npm ci` (or `npm run build`) in the checkout.\n',
  );
  process.exit(2);
}
const { main } = await import(cli);
process.exitCode = await main(process.argv.slice(2));
