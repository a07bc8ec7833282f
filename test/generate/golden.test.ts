import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allCases } from './helpers/cases.ts';

// UPDATE_GOLDEN=1 rewrites the files after a deliberate template change; review the diff.
const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden scripts, one per tool, backend and target mode', () => {
  it.each(allCases().map((c) => [c.id, c] as const))('%s', (id, c) => {
    const file = join(dir, id);
    if (update) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, c.result.script);
    }
    expect(existsSync(file), `${id} missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(c.result.script).toBe(readFileSync(file, 'utf8'));
  });
});
