import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImports, checkTestLayout, KNOWN_AGAINST_ORDER, STAGES } from '../../scripts/check-imports.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A src/ folder made of the given files (path → text). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lt-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the import graph of src/', () => {
  it('has no cycle, no library import of cli/, and follows the stage order', () => {
    const result = checkImports(join(ROOT, 'src'));
    expect(result.problems).toEqual([]);
    expect(result.graph.files.size).toBeGreaterThan(50);
  });

  it('npm run check:imports prints the folder graph and passes', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'check-imports.ts')], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/^cli +-> .*capture \(\d+\)/m);
    expect(out).toMatch(/check-imports: \d+ files, \d+ imports: no cycle, no library import of cli\//);
  });
});

describe('check-imports finds', () => {
  it('a cycle between two files, type-only imports included', () => {
    const dir = tree({
      'capture/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'capture/b.ts': "import type { A } from './a.ts';\nexport const b = 1;\nexport type B = A;\n",
    });
    expect(checkImports(dir, {}).problems).toEqual(['cycle: capture/a.ts <-> capture/b.ts']);
  });

  it('a library file that imports cli/, statically or with import()', () => {
    const dir = tree({
      'cli/exit.ts': 'export const EXIT = { ok: 0 };\n',
      'report/index.ts': "import { EXIT } from '../cli/exit.ts';\nexport const x = EXIT;\n",
      'capture/run.ts': "export async function f() { return import('../cli/exit.ts'); }\n",
    });
    expect(checkImports(dir, {}).problems).toEqual([
      'capture/run.ts: a library file imports the command line (cli/exit.ts)',
      'report/index.ts: a library file imports the command line (cli/exit.ts)',
    ]);
  });

  it('an import against the stage order, a re-export included, but not one along it', () => {
    const dir = tree({
      'protocol/registry.ts': "export * from '../rules/types.ts';\n",
      'rules/types.ts': "import { x } from '../protocol/other.ts';\nexport const y = x;\n",
      'protocol/other.ts': 'export const x = 1;\n',
    });
    expect(checkImports(dir, {}).problems).toEqual([
      'protocol/registry.ts: imports rules/types.ts, against the stage order (protocol comes before rules)',
    ]);
  });

  it('imports in comments and strings are not imports', () => {
    const dir = tree({
      'protocol/a.ts': "// import { x } from '../cli/main.ts';\nexport const s = \"import('../cli/main.ts')\";\n",
      'cli/main.ts': 'export {};\n',
    });
    expect(checkImports(dir, {}).problems).toEqual([]);
  });

  it('a known import against the order is excused, and an entry no longer imported is a problem', () => {
    const dir = tree({
      'state/map.ts': "import { d } from '../engine/detach.ts';\nexport const m = d;\n",
      'engine/detach.ts': 'export const d = 1;\n',
    });
    const known = { 'state/map.ts -> engine/detach.ts': 'why', 'state/gone.ts -> engine/detach.ts': 'why' };
    const result = checkImports(dir, known);
    expect(result.known).toEqual(['state/map.ts -> engine/detach.ts']);
    expect(result.problems).toEqual(['state/gone.ts -> engine/detach.ts: listed in KNOWN_AGAINST_ORDER but no longer imported; remove the entry']);
  });

  it('the shipped list of known imports against the order holds nothing about cli/', () => {
    for (const entry of Object.keys(KNOWN_AGAINST_ORDER)) expect(entry).not.toMatch(/cli\//);
  });
});

describe('test/ mirrors the stages of src/', () => {
  it('holds for this repository', () => {
    expect(checkTestLayout(ROOT)).toEqual([]);
  });

  /** A repository of the given files (path → text), with one test folder per stage unless left out. */
  function repo(files: Record<string, string>, without: readonly string[] = []): string {
    const base: Record<string, string> = {};
    for (const stage of STAGES) {
      base[`src/${stage}/a.ts`] = 'export const a = 1;\n';
      if (!without.includes(stage)) base[`test/${stage}/a.test.ts`] = `import { a } from '../../src/${stage}/a.ts';\n`;
    }
    return tree({ ...base, ...files });
  }

  it('finds a stage without tests, a folder that is neither stage nor suite, and a test of another stage', () => {
    const dir = repo(
      {
        'test/misc/x.test.ts': '',
        'test/engine/wrong.test.ts': "import { a } from '../../src/parse/a.ts';\n",
        // Reaching the stage through a test helper counts, as does running the command line whole.
        'test/engine/helper.ts': "export { a } from '../../src/engine/a.ts';\n",
        'test/engine/via-helper.test.ts': "import { a } from './helper.ts';\n",
        'test/cli/whole.test.ts': "const BIN = join(ROOT, 'bin', 'loadtrace.js');\n",
      },
      ['protocol'],
    );
    expect(checkTestLayout(dir).sort()).toEqual(
      [
        'src/protocol/: no test/protocol/ folder of tests',
        'test/engine/wrong.test.ts: reaches no file of src/engine/ and does not start bin/loadtrace.js',
        'test/misc/: neither a stage of src/ nor a suite of TEST_SUITES',
      ].sort(),
    );
  });
});
