import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTimelineCollector, cspHash, displayText, esc, jsonForScript, renderHtml } from '../../src/report/html/index.ts';
import { relTime } from '../../src/report/html/details.ts';
import { protClass } from '../../src/report/html/timeline.ts';
import { STYLE, SCRIPT } from '../../src/report/html/assets.ts';
import { ev, mmapEv } from '../security/helpers.ts';
import { generateTrace } from '../../scripts/bench/gen.ts';
import { HOSTILE, renderInput, writeHostileCapture } from './html-fixtures.ts';
import type { Report } from '../../src/engine/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = join(ROOT, 'test/fixtures/demo/capture');
const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-html-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('html escaping', () => {
  it('escapes markup and both quote kinds', () => {
    expect(esc(`<script>a="1" b='2' & c</script>`)).toBe('&lt;script&gt;a=&quot;1&quot; b=&#39;2&#39; &amp; c&lt;/script&gt;');
    expect(esc(null)).toBe('');
    expect(esc(42)).toBe('42');
  });

  it('shows bytes that were not UTF-8 and control characters as \\xNN, other lone surrogates as U+FFFD', () => {
    expect(displayText('a\udcffb\udc80')).toBe('a\\xffb\\x80');
    expect(displayText('x\u0000y\u001b\u007f')).toBe('x\\x00y\\x1b\\x7f');
    expect(displayText('\ud800z')).toBe('\ufffdz');
    expect(displayText('ok 😀 é\ttab\nline')).toBe('ok 😀 é\ttab\nline');
  });

  it('JSON for a script element holds no <, >, & or line separators, and parses back to the same text', () => {
    const v = { s: '</script><script>alert(1)</script> & \u2028\u2029 <!--', b: 'p\udcff' };
    const j = jsonForScript(v);
    expect(j).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(j)).toEqual({ s: v.s, b: 'p\\xff' });
  });

  it('CSP hashes are the base64 SHA-256 of the exact text', () => {
    expect(cspHash('abc')).toBe(`'sha256-${createHash('sha256').update('abc').digest('base64')}'`);
  });
});

describe('html pieces', () => {
  it('colours W+X apart from every other protection', () => {
    expect(protClass(7)).toBe('p-wx');
    expect(protClass(6)).toBe('p-wx');
    expect(protClass(5)).toBe('p-rx');
    expect(protClass(3)).toBe('p-rw');
    expect(protClass(1)).toBe('p-r');
    expect(protClass(0)).toBe('p-none');
    expect(new Set([7, 5, 3, 1, 0, 4].map(protClass)).size).toBe(6);
  });

  it('times are relative to the start, never "+-0.000"', () => {
    expect(relTime(1000.4, 1000)).toBe('+0.000 s');
    expect(relTime(999.9999, 1000)).toBe('+0.000 s');
    expect(relTime(990, 1000)).toBe('-0.010 s');
    expect(relTime(1195, 1000)).toBe('+0.195 s');
  });
});

describe('html report of the demo capture', async () => {
  const page = await renderInput(DEMO);

  it('is one self-contained page: no external reference of any kind, a CSP allowing only its own style and script', () => {
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*(?!"#)/i);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/\sstyle=/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1]!.replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
    expect(style).toBe(STYLE);
    expect(script).toBe(SCRIPT);
    expect(csp).toContain(`style-src ${cspHash(style)}`);
    expect(csp).toContain(`script-src ${cspHash(script)}`);
    expect(count(page, /<script/g)).toBe(2);
  });

  it('has the capture metadata, every finding, the blind spots and one timeline per process with findings', () => {
    for (const s of ['demo-mac', 'macOS 14.5 (23F79)', 'dtrace: Sun D 1.13', 'an0840', 'system-wide', 'interrupted (Ctrl-C)', '1.000 s']) expect(page).toContain(esc(s));
    const jsonl = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), 'replay', DEMO, '--format', 'jsonl'], { encoding: 'utf8' }).stdout;
    const findings = jsonl.trim().split('\n').map((l) => JSON.parse(l) as { summary: string; process: { pid: number } });
    expect(findings.length).toBe(12);
    expect(count(page, /<tr id="f-\d+"/g)).toBe(findings.length);
    for (const f of findings) expect(page).toContain(`<summary>${esc(f.summary)}</summary>`);
    for (const pid of new Set(findings.map((f) => f.process.pid))) expect(count(page, new RegExp(`<svg class="timeline" data-pid="${pid}"`, 'g'))).toBe(1);
    expect(page).toContain('<section id="blind-spots">');
    expect(page).toContain(esc('the tracer dropped data'));
  });

  it('decodes flags in the event details: names, not raw numbers', () => {
    expect(page).toContain('prot: PROT_READ|PROT_WRITE|PROT_EXEC (rwx)');
    expect(page).toMatch(/flags: MAP_PRIVATE\|MAP_JIT\|MAP_ANON/);
    expect(page).toMatch(/mode: RTLD_LAZY/);
    expect(page).not.toMatch(/flags: 268290/);
  });

  it('shows a finding\'s first bytes as hex and ASCII, and its stack', () => {
    expect(page).toContain('cffa edfe 0700 0001');
    expect(page).toContain('v8::internal::Execution::Call+0x120');
  });

  it('says what it aggregated', () => {
    expect(page).toContain('What this page aggregates or leaves out');
    expect(page).toMatch(/Execution samples are aggregated: 13 samples drawn as \d+ time buckets/);
  });
});

describe('html report of a hostile capture', async () => {
  const dir = writeHostileCapture(join(tmp, 'hostile'));
  const page = await renderInput(dir);

  it('renders every traced and meta.json string as text, never as markup', () => {
    expect(count(page, /<script/gi)).toBe(2);
    expect(page).not.toMatch(/<img|<svg onload|<b>x<\/b>|<i>14/i);
    // No tag anywhere carries an event handler attribute.
    expect(page).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(page).not.toMatch(/href="javascript:/i);
    expect(page).not.toContain('window.__pwned=1">');
    for (const s of Object.values(HOSTILE)) if (!/^[0-9a-f]+$/.test(s)) expect(page).toContain(esc(s));
    // Bytes that were not UTF-8 as \xNN; the ASCII view of the first bytes as escaped text.
    expect(page).toContain('/tmp/\\xff\\xfe&lt;b&gt;x&lt;/b&gt;');
    expect(page).toContain(esc('<script>window.__pwned=7</script>'));
    // The JSON island cannot be closed from inside.
    const island = /<script type="application\/json" id="lt-data">([\s\S]*?)<\/script>/.exec(page)![1]!;
    expect(island).not.toMatch(/[<>&]/);
    expect(JSON.stringify(JSON.parse(island))).toContain('</script><script>window.__pwned=3</script>');
  });
});

describe('html report bounds', () => {
  it('the collector keeps at most what its limits say, and counts the rest', () => {
    const limits = { maxProcesses: 8, maxRowsPerProcess: 4, maxMarkersPerRow: 3, maxLaneMarkersPerProcess: 5, maxSampleBuckets: 10, maxMarkers: 60, maxSegmentsPerRow: 4 };
    const c = createTimelineCollector({ os: 'linux', limits });
    let i = 0;
    for (let pid = 100; pid < 140; pid++) {
      for (let r = 0; r < 10; r++) {
        c.event(mmapEv(pid, i++, 0x10000000 + r * 0x10000, 3));
        for (let k = 0; k < 6; k++) c.event(ev('mprotect', pid, i++, { addr: `0x${(0x10000000 + r * 0x10000).toString(16)}`, len: '0x1000', prot: k % 2 ? 5 : 3, ret: 0, err: 0, prevProt: -1, prevFlags: -1, prevAnon: null }));
      }
      for (let k = 0; k < 2000; k++) c.event(ev('sample', pid, i++, { pc: `0x${(0x10000000 + (k % 10) * 0x10000).toString(16)}` }));
      for (let k = 0; k < 20; k++) c.event(ev('dlsym', pid, i++, { handle: '0x0', symbol: `s${k}`, symbolTrunc: false, ret: '0x1' }));
    }
    const d = c.result();
    expect(d.processes.length).toBe(8);
    // Nobody exited and nobody had a finding: the first 8 stay, the other 32 are counted.
    expect(d.evicted).toBe(0);
    expect(d.processesNotKept).toBe(32);
    expect(d.eventsNotKept).toBe(32 * (10 * 7 + 2000 + 20));
    let markers = 0;
    for (const p of d.processes) {
      expect(p.rows.length).toBeLessThanOrEqual(4);
      expect(p.rowsDropped).toBeGreaterThan(0);
      expect(p.samples.length).toBeLessThanOrEqual(10);
      expect(p.sampleCount).toBe(2000);
      expect(p.samples.reduce((n, b) => n + b.count, 0)).toBe(2000);
      expect(p.lane.length).toBeLessThanOrEqual(5);
      for (const r of p.rows) {
        expect(r.markers.length).toBeLessThanOrEqual(3);
        expect(r.segments.length).toBeLessThanOrEqual(4);
      }
      markers += p.lane.length + p.rows.reduce((n, r) => n + r.markers.length, 0);
    }
    expect(markers).toBeLessThanOrEqual(60);
  });

  it('when full: exited processes make room, a process with a finding takes the place of one without, others wait', () => {
    const c = createTimelineCollector({ limits: { maxProcesses: 2 } });
    c.event(mmapEv(1, 0, 0x1000));
    c.finding(1);
    c.event(mmapEv(2, 1, 0x1000));
    for (let pid = 3; pid < 50; pid++) c.event(mmapEv(pid, pid, 0x1000));
    expect(c.result().processes.map((p) => p.pid).sort()).toEqual([1, 2]);
    c.event(ev('exit', 2, 60, { status: 0 }));
    c.event(mmapEv(3, 61, 0x1000));
    expect(c.result().processes.map((p) => p.pid).sort()).toEqual([1, 3]);
    // pid 7 was not kept (one event), then has a finding: it replaces pid 3, and says what it missed.
    c.finding(7);
    c.event(mmapEv(7, 62, 0x2000));
    const d = c.result();
    expect(d.processes.map((p) => p.pid).sort()).toEqual([1, 7]);
    expect(d.processes.find((p) => p.pid === 7)!.lostBefore).toBe(1);
    expect(d.evicted).toBe(2);
  });

  it('a large trace makes a bounded page that says what it left out', async () => {
    const file = join(tmp, 'big.trace');
    generateTrace(file, { records: 150_000, seed: 7, nonce: '0123456789abcdef' });
    const render = { maxProcessesDrawn: 10, maxMarkersDrawn: 1500 };
    const page = await renderInput(file, { render });
    expect(page.length).toBeLessThan(4_000_000);
    expect(count(page, /<svg class="timeline"/g)).toBeLessThanOrEqual(10);
    expect(count(page, /<g class="m"/g)).toBeLessThanOrEqual(1500);
    expect(count(page, /<rect /g)).toBeLessThan(20_000);
    expect(page).toContain('raw trace: no capture metadata');
    expect(page).toMatch(/\d+ more processes with activity are not drawn \(10 are\)/);
    expect(page).toMatch(/Execution samples are aggregated: \d+ samples drawn as \d+ time buckets/);
  });

  it('an empty report renders, and says there is nothing left out', () => {
    const report = { findings: [], blindSpots: [], stats: { os: 'linux', events: 0, firstEvent: null, lastEvent: null } } as unknown as Report;
    const page = renderHtml({ report, timeline: createTimelineCollector().result(), meta: null });
    expect(page).toContain('No findings.');
    expect(page).toContain('Nothing: every event collected is drawn.');
    expect(page).toContain('No process activity was traced.');
  });
});

describe('loadtrace replay --format html', () => {
  it('prints the page; --events with it is a usage error', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), 'replay', DEMO, '--format', 'html', '--min-severity', 'critical'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(count(r.stdout, /<tr id="f-\d+"/g)).toBe(2);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), 'replay', DEMO, '--format', 'html', '--events'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--events .* --format html/);
  });
});
