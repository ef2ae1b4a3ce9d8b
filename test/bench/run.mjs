// `npm run bench [-- --pairs N --seconds S --quick]`: bundles test/bench/bench.ts and runs it.
import { bundleAndRun } from './launch.mjs';

process.exitCode = await bundleAndRun('test/bench/bench.ts', process.argv.slice(2));
