/** Shared test helpers: run traces through the real parser and the engine; make synthetic events. */
import { readFileSync } from 'node:fs';
import { parseText } from '../../src/parse/index.ts';
import { loadBaseline } from '../../src/baseline/load.ts';
import type { Baseline } from '../../src/baseline/schema.ts';
import { runEngine, type EngineOptions, type Finding, type Report } from '../../src/engine/index.ts';
import type { RecordKind, EventOf, TraceEvent } from '../../src/protocol/registry.ts';
import { fixturePath } from '../fixtures/rules/make-fixtures.ts';
import { NONCE } from '../fixtures/rules/builder.ts';

export const FIXTURE_BASELINE: Baseline = loadBaseline(new URL('../fixtures/rules/baseline.json', import.meta.url).pathname);

/** Parse trace text with the real parser and run it through a fresh engine. */
export async function runTrace(text: string, opts: Partial<EngineOptions> = {}): Promise<Report> {
  const parsed = await parseText(text, { nonce: NONCE });
  return runEngine(parsed.events, parsed.diagnostics, { baseline: FIXTURE_BASELINE, ...opts }, { parse: parsed.summary });
}

/** Run a fixture file. */
export async function runFixture(name: string, opts: Partial<EngineOptions> = {}): Promise<Report> {
  return runTrace(readFileSync(fixturePath(name), 'utf8'), opts);
}

/** `rule:severity` of every finding, sorted: what a fixture is expected to produce. */
export function signature(r: Pick<Report, 'findings'>): string[] {
  return r.findings.map((f) => `${f.rule}:${f.severity}`).sort();
}

/** Findings without input positions (line, seq), which legitimately change when records are reordered. */
export function normalise(fs: readonly Finding[]): unknown {
  return JSON.parse(
    JSON.stringify(fs, (k, v) => (k === 'line' || k === 'seq' ? undefined : v)),
  );
}

let seq = 0;
const T0 = 1_767_225_600_000;

/** A synthetic event (no parser): common fields defaulted, t from `at` (ms after T0). */
export function ev<K extends RecordKind>(
  kind: K,
  fields: Omit<Partial<EventOf<K>>, 'kind'> & Record<string, unknown>,
  at = 0,
): TraceEvent {
  const t = T0 + at;
  const base = {
    kind,
    ts: `${BigInt(Math.round(t * 1000)) * 1000n}`,
    pid: 100,
    ppid: 1,
    tid: 100,
    uid: 501,
    comm: 'proc',
    line: seq + 1,
    seq: seq++,
    t,
  };
  const defaults: Record<string, unknown> = {
    mmap: { addr: '0x0', off: '0x0', fd: -1, err: 0, anon: true, jit: false, shared: false, fixed: false, flags: 0x1002 },
    mprotect: { ret: 0, err: 0, prevProt: -1, prevFlags: -1, prevAnon: null },
    vm_protect: { setMax: 0, kr: 0, prevProt: -1, prevFlags: -1, prevAnon: null },
    vm_map: { mask: '0x0', flags: 1, kr: 0 },
    vm_allocate: { flags: 1, kr: 0 },
    munmap: { ret: 0 },
    vm_deallocate: { kr: 0 },
    dlopen: { pathTrunc: false, mode: 2, handle: '0x1000' },
    dlopen_preflight: { pathTrunc: false, ret: 1 },
    dlsym: { handle: '0xfffffffffffffffe', symbolTrunc: false, ret: '0x1000' },
    exec: { pathTrunc: false },
    memfd: { nameTrunc: false },
  };
  return { ...base, ...((defaults[kind] as object) ?? {}), ...fields } as unknown as TraceEvent;
}
