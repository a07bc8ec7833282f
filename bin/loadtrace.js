#!/usr/bin/env node
// The package ships TypeScript sources; tsx compiles them on load, so a clean
// clone works right after `npm ci` with no build step to remember.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
