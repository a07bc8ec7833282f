#!/usr/bin/env node
// Runs the compiled CLI in dist/, which `npm ci` (the prepare script) or `npm run build` produces:
// compiling TypeScript on every start would cost a second and ~100 MB before any work.
import { setFlagsFromString } from 'node:v8';

// Old-generation garbage: V8 lets the old generation grow to up to four times what survived the last full
// collection before collecting it again, and a replay promotes garbage at a steady rate (events waiting in
// the reorder window, processes that exited), so its peak RSS grew with the trace. Growing by half instead
// keeps the peak near what a replay really holds, at a cost in time too small to measure
// (docs/performance.md). It is no limit on the heap: a replay that holds more still gets it.
const GROWING = '--heap-growing-percent';
if (!process.execArgv.some((a) => a.startsWith(GROWING)) && !(process.env.NODE_OPTIONS ?? '').includes(GROWING.slice(2))) {
  setFlagsFromString(`${GROWING}=50`);
}

let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist')) throw err;
  process.stderr.write('loadtrace: the compiled CLI (dist/) is missing: run `npm run build` in the package folder\n');
  process.exit(70);
}
process.exitCode = await cli.main(process.argv);
