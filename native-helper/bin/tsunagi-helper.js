#!/usr/bin/env node
// `tsunagi-helper` launcher: the privileged helper daemon, the same as `tsunagi helper [options]`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/native-helper/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(
    'tsunagi-helper: the helper is not built yet: run `npm ci` (or `npm run build`) in the checkout.\n',
  );
  process.exit(2);
}
const { main } = await import(cli);
process.exitCode = await main(['helper', ...process.argv.slice(2)]);
