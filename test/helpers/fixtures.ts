/**
 * The recorded traces under test/fixtures, in a fixed order: each capture folder (one with a
 * meta.json) and each loose `.trace` or `.txt` file. The pipeline tests replay them all on one and
 * two threads, and scripts/check-outputs.ts records what the CLI makes of each.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Absolute paths of every fixture trace, sorted by path. */
export function fixtureTraces(dir: string = FIXTURES_DIR): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        if (existsSync(join(p, 'meta.json'))) out.push(p);
        else walk(p);
      } else if (/\.(trace|txt)$/.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}
