/**
 * The library reports failures and never crashes its host: each failure kind is a
 * rejection of a documented class that a caller's try/catch handles, with no
 * unhandled rejection left behind. Run with plain node against the compiled package.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = join(ROOT, 'test/fixtures/demo/capture');

/** Runs `await replay(input, opts)` in a fresh node process and reports what it caught. */
function replayIn(input: string, opts: Record<string, unknown> = {}) {
  const program = `
    import { replay } from ${JSON.stringify(join(ROOT, 'dist/index.js'))};
    try {
      await replay(${JSON.stringify(input)}, ${JSON.stringify(opts)});
      console.log('resolved');
    } catch (e) {
      console.log('caught ' + e.name + ': ' + e.message);
    }
    // Let anything left pending settle before the process ends on its own.
    await new Promise((r) => setTimeout(r, 200));
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', cwd: tmpdir() });
}

describe('replay() as a library under plain node', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-lib-'));
  const empty = join(tmp, 'empty.trace');
  writeFileSync(empty, '');
  const text = join(tmp, 'text.trace');
  writeFileSync(text, 'hello\nthis is not a trace\n');
  const notCapture = join(tmp, 'folder');
  mkdirSync(notCapture);

  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    ['a missing path', 'no/such/capture', {}, /^caught InputError: no\/such\/capture: cannot read: ENOENT: no such file or directory$/m],
    ['a folder that is not a capture', notCapture, {}, /^caught CaptureDirError: .*meta\.json: cannot read/m],
    ['an empty file', empty, {}, /^caught InputError: .*empty\.trace: not a loadtrace trace: it is empty/m],
    ['text that is not a trace', text, {}, /^caught InputError: .*text\.trace: not a loadtrace trace: its 2 lines hold no records \(2 foreign/m],
    ['a binary', process.execPath, {}, /^caught InputError: .*not a loadtrace trace/m],
    // Passes the checks before reading, then fails the read itself (EIO): the stream error path.
    ['a file whose reading fails', '/proc/self/mem', {}, /^caught InputError: \/proc\/self\/mem: cannot read: EIO/m],
    ['a missing baseline file', DEMO, { baseline: join(tmp, 'nope.json') }, /^caught BaselineError: /m],
  ];
  for (const [what, input, opts, expected] of cases) {
    it(`rejects ${what} with a documented error class and exits 0`, () => {
      const r = replayIn(input, opts);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(expected);
      expect(r.status).toBe(0);
    });
  }

  it('resolves for the demo capture, and for an empty file with allowEmpty', () => {
    expect(replayIn(DEMO).stdout).toBe('resolved\n');
    expect(replayIn(empty, { allowEmpty: true }).stdout).toBe('resolved\n');
  });
});
