/**
 * Replaying a capture directory from someone else's machine: only the fixed
 * file names inside it are opened, links and special files are refused,
 * meta.json is validated and bounded, paths in it are never opened, broken
 * files give clear errors naming the file, and nothing is written anywhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMPTY_BASELINE } from '../../src/baseline/schema.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { CaptureDirError, openCaptureDir } from '../../src/pipeline/capture-dir.ts';
import { openInput } from '../../src/pipeline/input.ts';
import { replayStreams } from '../../src/pipeline/index.ts';
import { cli, NONCE, ROOT } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-untrusted-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TS = 1_750_000_000_000_000_000n;
const rec = (i: number, fields: Record<string, unknown>, kind: 'dlopen' | 'begin' | 'exit' = 'dlopen', nonce = NONCE) =>
  formatRecord(nonce, kind, { ts: String(TS + BigInt(i) * 1000n), pid: 700 + i, ppid: 1, tid: 700 + i, uid: 501, comm: 'victim', ...fields });

const BEGIN = rec(0, { tool: 'an0840', os: 'linux', backend: 'dtrace' }, 'begin');
const GOOD = BEGIN + rec(1, { path: '/tmp/good.so', mode: 2, handle: '0x5500' }) + rec(2, { path: '/tmp/second.so', mode: 2, handle: '0x5500' });
/** What a file outside the capture holds: a record that would make a recognisable finding if it were ever read. */
const SECRET_PATH = '/tmp/SENTINEL-outside-never-read.so';
const SECRET = BEGIN + rec(3, { path: SECRET_PATH, mode: 2, handle: '0x5500' });

const META = { metaVersion: 1, nonce: NONCE, tool: 'an0840', host: { platform: 'linux' }, tracer: { backend: 'dtrace' }, ending: 'completed', script: 'script.d' };

let n = 0;
/** A fresh capture directory (and a secret file beside it, outside it). */
function capture(files: { meta?: unknown; metaText?: string; stdout?: string | Buffer; stderr?: string } = {}) {
  const base = join(tmp, `c${n++}`);
  const dir = join(base, 'cap');
  mkdirSync(dir, { recursive: true });
  const secret = join(base, 'secret.raw');
  writeFileSync(secret, SECRET);
  writeFileSync(join(dir, 'meta.json'), files.metaText ?? JSON.stringify(files.meta ?? META));
  if (files.stdout !== undefined || !('stdout' in files)) writeFileSync(join(dir, 'stdout.raw'), files.stdout ?? GOOD);
  if (files.stderr !== undefined) writeFileSync(join(dir, 'stderr.raw'), files.stderr);
  return { base, dir, secret };
}

async function replayDir(dir: string) {
  const opened = openInput(dir);
  return replayStreams(opened.sources, { nonce: opened.nonce, os: opened.os, backend: opened.backend, baseline: EMPTY_BASELINE });
}

function refused(dir: string, pattern: RegExp): void {
  expect(() => openCaptureDir(dir)).toThrow(CaptureDirError);
  expect(() => openCaptureDir(dir)).toThrow(pattern);
}

describe('an untrusted capture directory', () => {
  it('a well-formed one replays: the baseline of these tests', async () => {
    const { dir } = capture();
    const r = await replayDir(dir);
    expect(r.parse.records).toBe(3);
    expect(r.report.findings.some((f) => JSON.stringify(f.detail).includes('/tmp/good.so'))).toBe(true);
  });

  it('refuses stdout.raw, stderr.raw or meta.json that is a symbolic link, naming it', () => {
    for (const name of ['stdout.raw', 'stderr.raw', 'meta.json']) {
      const { dir, secret, base } = capture({ stderr: '' });
      rmSync(join(dir, name));
      if (name === 'meta.json') {
        writeFileSync(join(base, 'meta-outside.json'), JSON.stringify(META));
        symlinkSync(join(base, 'meta-outside.json'), join(dir, name));
      } else symlinkSync(secret, join(dir, name));
      refused(dir, new RegExp(`${name.replace('.', '\\.')}: is a symbolic link`));
      const r = cli(['replay', dir, '--format', 'json']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(join(dir, name));
      expect(r.stdout).not.toContain('SENTINEL');
    }
  });

  it('refuses a raw file that is a directory or a FIFO (which would block the reader forever)', () => {
    const a = capture();
    rmSync(join(a.dir, 'stdout.raw'));
    mkdirSync(join(a.dir, 'stdout.raw'));
    refused(a.dir, /stdout\.raw: is not a regular file/);
    const b = capture({ stderr: '' });
    rmSync(join(b.dir, 'stderr.raw'));
    execFileSync('mkfifo', [join(b.dir, 'stderr.raw')]);
    refused(b.dir, /stderr\.raw: is not a regular file/);
  });

  it('never opens a path named in meta.json: script, tracer path, follow scripts pointing outside', async () => {
    const { dir, secret } = capture();
    const meta = {
      ...META,
      script: secret,
      tracer: { backend: 'dtrace', path: secret, argv: [secret] },
      follow: { tracers: [{ script: '../secret.raw' }, { script: secret }] },
      stdout: secret,
      raw: { stdout: '../secret.raw' },
    };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    const r = await replayDir(dir);
    expect(JSON.stringify(r.report)).not.toContain('SENTINEL');
    expect(r.parse.records).toBe(3);
  });

  it.runIf(existsSync('/usr/bin/strace'))('strace: replay touches only meta.json, stdout.raw and stderr.raw of the folder, read-only, and nothing beside it', () => {
    const { dir, base, secret } = capture({ stderr: 'Attaching 3 probes...\n' });
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...META, script: '../secret.raw', tracer: { backend: 'dtrace', path: secret } }));
    writeFileSync(join(dir, 'script.d'), 'never read');
    const log = join(tmp, `strace-${n++}.log`);
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=%file', '-o', log, process.execPath, join(ROOT, 'bin/loadtrace.js'), 'replay', dir, '--format', 'json'], {
      // From the package root, as the other CLI tests run.
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const touched = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes(base));
    expect(touched.length).toBeGreaterThan(0);
    for (const l of touched) {
      const path = /"([^"]*)"/.exec(l)?.[1] ?? '';
      // The folder itself (lstat to tell a directory from a file), and its three fixed files.
      expect([dir, join(dir, 'meta.json'), join(dir, 'stdout.raw'), join(dir, 'stderr.raw'), base], l).toContain(path.replace(/\/$/, ''));
      expect(l, 'opened for writing').not.toMatch(/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|unlink|rename|mkdir/);
    }
    expect(touched.join('\n')).not.toContain('secret.raw');
    expect(touched.join('\n')).not.toContain('script.d');
    expect(r.stdout).not.toContain('SENTINEL');
  });

  it('writes nothing: the folder and the working directory are unchanged after a replay', () => {
    const { dir, base } = capture({ stderr: '' });
    const snapshot = () =>
      [base, dir].flatMap((d) => readdirSync(d).map((f) => `${d}/${f}:${statSync(join(d, f)).size}:${statSync(join(d, f)).mtimeMs}`)).sort();
    const before = snapshot();
    const r = cli(['replay', dir, '--format', 'jsonl'], { cwd: base });
    expect(r.code).toBe(0);
    expect(snapshot()).toEqual(before);
  });

  it('a line beyond the maximum length is a parse_error; the records around it still parse', async () => {
    const huge = `${'Q'.repeat(5 * 1024 * 1024)}\n`;
    const { dir } = capture({ stdout: BEGIN + rec(1, { path: '/tmp/before.so', mode: 2, handle: '0x1' }) + huge + rec(2, { path: '/tmp/after.so', mode: 2, handle: '0x1' }) });
    const r = await replayDir(dir);
    expect(r.parse.parseErrors).toBe(1);
    expect(r.parse.records).toBe(3);
    const spot = r.report.blindSpots.find((b) => b.kind === 'malformed_records');
    expect(spot?.examples[0]).toContain('line too long');
  });

  it('meta.json cut mid-JSON: a clear error naming the file', () => {
    const text = JSON.stringify(META);
    const { dir } = capture({ metaText: text.slice(0, text.length / 2) });
    refused(dir, /meta\.json: not valid JSON/);
    const r = cli(['replay', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'meta.json'));
  });

  it('stdout.raw cut mid-record: one parse_error, every complete record kept, every line accounted for', async () => {
    const full = GOOD + rec(9, { path: '/tmp/cut-here.so', mode: 2, handle: '0x5500' });
    const { dir } = capture({ stdout: full.slice(0, full.length - 20) });
    const r = await replayDir(dir);
    expect(r.parse.records).toBe(3);
    expect(r.parse.parseErrors).toBe(1);
    const a = r.parse.accounting;
    expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
    expect(a.lines).toBe(4);
  });

  it('meta.json larger than 1 MiB is refused before it is parsed', () => {
    const { dir } = capture({ meta: { ...META, padding: 'p'.repeat(2 * 1024 * 1024) } });
    refused(dir, /meta\.json: \d+ bytes, larger than the 1048576 a meta\.json can be/);
  });

  it('the fields replay reads are checked against the capture schema, naming the field', () => {
    refused(capture({ meta: { ...META, ending: 'exploded' } }).dir, /meta\.json: ending: /);
    refused(capture({ meta: { ...META, tool: 't'.repeat(65) } }).dir, /meta\.json: tool: /);
    refused(capture({ meta: { ...META, tracer: { backend: 'strace' } } }).dir, /meta\.json: tracer\.backend: /);
    refused(capture({ meta: { ...META, notAttached: [{ pid: 1 }] } }).dir, /meta\.json: notAttached\.0\.reason: /);
    // Fields replay does not read may be missing, as in a folder made by hand.
    const { host: _host, tracer: _tracer, tool: _tool, ending: _ending, ...bare } = META;
    expect(openCaptureDir(capture({ meta: bare }).dir).tool).toBeNull();
  });

  it('a nonce that is missing or not 16 lowercase hex digits is refused, naming the field', () => {
    for (const nonce of [undefined, 'C0FFEE00C0FFEE00', 'c0ffee', 'c0ffee00c0ffee00\t', 42, '../../etc/passwd', null]) {
      const { dir } = capture({ meta: { ...META, nonce } });
      refused(dir, /meta\.json: nonce: /);
    }
  });

  it('records carrying another nonce than meta.json\'s are forged: counted, never events', async () => {
    const { dir } = capture({ stdout: GOOD + rec(5, { path: '/tmp/forged.so', mode: 2, handle: '0x1' }, 'dlopen', '0000000000000000') });
    const r = await replayDir(dir);
    expect(r.parse.records).toBe(3);
    expect(r.parse.forged).toBe(1);
    expect(JSON.stringify(r.report.findings)).not.toContain('forged.so');
  });

  it('a "__proto__" key in meta.json pollutes nothing and is not trusted', async () => {
    const { dir } = capture({ metaText: `{"__proto__":{"polluted":true,"nonce":"0000000000000000"},${JSON.stringify(META).slice(1)}` });
    const c = openCaptureDir(dir);
    expect(c.nonce).toBe(NONCE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r = await replayDir(dir);
    expect(r.parse.records).toBe(3);
  });

  it('oversized or mistyped fields meta.json hands to reports are refused', () => {
    for (const bad of [{ tool: 't'.repeat(65) }, { ending: { evil: 1 } }, { tracer: { backend: 'sh -c id' } }, { notAttached: [{ reason: 'r'.repeat(5000) }] }]) {
      const { dir } = capture({ meta: { ...META, ...bad } });
      expect(() => openCaptureDir(dir)).toThrow(CaptureDirError);
    }
  });
});
