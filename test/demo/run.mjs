// `sudo npm run demo` (after `npm run build`): bundles test/demo/demo.ts and runs it.
import { bundleAndRun } from '../bench/launch.mjs';

process.exitCode = await bundleAndRun('test/demo/demo.ts', process.argv.slice(2));
