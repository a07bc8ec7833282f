#!/usr/bin/env node
// Runs the compiled CLI in dist/, which `npm ci` (the prepare script) or `npm run build` produces:
// compiling TypeScript on every start would cost a second and ~100 MB before any work.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist')) throw err;
  process.stderr.write('loadtrace: the compiled CLI (dist/) is missing: run `npm run build` in the package folder\n');
  process.exit(70);
}
process.exitCode = await cli.main(process.argv);
