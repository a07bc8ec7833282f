/**
 * Input that is not a trace is an error (exit 2, naming the input and what was found),
 * not an empty report with exit 0; --allow-empty says it is expected.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-notrace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input = '') {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), ...args], { cwd: tmp, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('replay of input that is not a trace', () => {
  const empty = join(tmp, 'empty.trace');
  writeFileSync(empty, '');
  const noise = join(tmp, 'noise.txt');
  writeFileSync(noise, randomBytes(3 * 1024 * 1024).toString('base64').replace(/(.{76})/g, '$1\n'));

  it('a binary with --fail-on info: exit 2, naming the file and what it holds', () => {
    const r = cli(['replay', process.execPath, '--fail-on', 'info']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${process.execPath}: not a loadtrace trace:`);
    expect(r.stdout).not.toContain('No findings');
  });

  it('an empty file, empty stdin and random text: exit 2', () => {
    const e = cli(['replay', empty]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('empty.trace: not a loadtrace trace: it is empty');
    const s = cli(['replay', '-'], '');
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('standard input: not a loadtrace trace: it is empty');
    const n = cli(['replay', noise]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/noise\.txt: not a loadtrace trace: its \d+ lines hold no records \(\d+ foreign/);
  });

  it('--allow-empty accepts an empty input', () => {
    const r = cli(['replay', empty, '--allow-empty']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No findings');
  });

  it('baseline learn of a binary: exit 2 and no baseline written', () => {
    const out = join(tmp, 'learned.json');
    const r = cli(['baseline', 'learn', process.execPath, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${process.execPath}: not a loadtrace trace`);
    expect(existsSync(out)).toBe(false);
  });
});
