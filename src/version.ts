import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The package version, read from package.json so there is one place to bump it. */
export const VERSION: string = (require('../package.json') as { version: string }).version;

/** The package's root folder, for shipped files (baselines, templates) whatever the cwd. */
export const PACKAGE_ROOT: string = fileURLToPath(new URL('..', import.meta.url));
