/**
 * The package as users get it: `npm pack`, installed into an empty project,
 * imported with plain node, run through its bin, and compiled against by a
 * strict TypeScript consumer that checks the shipped declarations
 * (skipLibCheck off). Installs use the npm cache first, the registry if needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = join(ROOT, 'test/fixtures/demo/capture');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-pack-'));
const app = join(tmp, 'app');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', { timeout: 240_000 }, () => {
  let files: string[] = [];
  beforeAll(() => {
    // --ignore-scripts: dist/ is already built from these sources (test setup); rebuilding it here
    // would rewrite it under other tests running the CLI.
    const listing = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT)) as { filename: string; files: { path: string }[] }[];
    files = listing[0]!.files.map((f) => f.path);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(['install', '--prefer-offline', join(tmp, listing[0]!.filename)], app);
  }, 240_000);

  it('ships the build, templates and baselines, and neither sources nor tests', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('bin/loadtrace.js');
    expect(files.some((f) => f.startsWith('dtrace/'))).toBe(true);
    expect(files).toContain('baselines/linux-default.json');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('imports under plain node and replays the demo with the shipped baseline', () => {
    const program = `
      import { replay, InputError } from 'loadtrace';
      const r = await replay(${JSON.stringify(DEMO)});
      let caught = null;
      try { await replay('no/such/capture'); } catch (e) { caught = e instanceof InputError ? 'InputError' : String(e); }
      console.log(JSON.stringify({ findings: r.findings.length, rules: [...new Set(r.findings.map((f) => f.rule))].length, caught }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.findings).toBeGreaterThan(0);
    expect(out.rules).toBe(8);
    expect(out.caught).toBe('InputError');
  });

  it('runs its bin without tsx installed', () => {
    expect(readdirSync(join(app, 'node_modules'))).not.toContain('tsx');
    const v = spawnSync(join(app, 'node_modules/.bin/loadtrace'), ['--version'], { cwd: app, encoding: 'utf8' });
    expect(v.stdout.trim()).toBe(VERSION);
    const r = spawnSync(join(app, 'node_modules/.bin/loadtrace'), ['replay', DEMO, '--format', 'json'], { cwd: app, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(0);
  });

  it('type-checks a strict nodenext consumer against the shipped declarations', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', skipLibCheck: false, noEmit: true }, include: ['check.ts'] }),
    );
    writeFileSync(
      join(app, 'check.ts'),
      [
        "import { replay, parseText, InputError, CaptureDirError, BaselineError, type ReplayResult, type Finding, type TraceEvent } from 'loadtrace';",
        'const r: ReplayResult = await replay("captures/x", { keepEvents: true });',
        'const f: Finding[] = r.findings;',
        'const e: TraceEvent[] = r.events;',
        'const errors = [InputError, CaptureDirError, BaselineError].map((c) => c.name);',
        'console.log(f.length, e.length, errors, typeof parseText);',
        '',
      ].join('\n'),
    );
    const ok = spawnSync(process.execPath, [TSC, '-p', app], { cwd: app, encoding: 'utf8' });
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // The check is real: a type error in the consumer is reported.
    writeFileSync(join(app, 'check.ts'), "import { replay } from 'loadtrace';\nconst n: number = await replay('x');\nconsole.log(n);\n");
    const bad = spawnSync(process.execPath, [TSC, '-p', app], { cwd: app, encoding: 'utf8' });
    expect(bad.stdout).toMatch(/TS2322/);
  });
});
