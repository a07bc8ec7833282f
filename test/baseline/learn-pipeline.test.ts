import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from '../../src/baseline/index.ts';
import { registerBaselineCommands } from '../../src/cli/baseline.ts';
import { learnBaseline, learnSource, LearnLossError } from '../../src/pipeline/learn.ts';
import { FIXTURES } from '../fixtures/rules/make-fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/**
 * What learning gave for each recorded fixture when it read events straight from the parser, before it ran
 * through the replay pipeline (note 'n'): moving it must not change what is learned.
 */
const BEFORE = JSON.parse(readFileSync(new URL('./learned-fixtures.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const DEMO_CAPTURE = 'test/fixtures/demo/capture';
/** A drop report as DTrace prints it, on the same stream as the records. */
const DROPS = 'dtrace: 7 drops on CPU 1\n';

describe('learning through the pipeline', () => {
  it('learns from every fixture what the event-based learner learned', async () => {
    expect(Object.keys(BEFORE).length).toBeGreaterThan(30);
    for (const [input, want] of Object.entries(BEFORE)) {
      // The demo capture has drops: the old learner never saw them; here they must be allowed.
      const learned = await learnBaseline([join(ROOT, input)], { note: 'n', allowLoss: input.startsWith('test/fixtures/demo/') });
      expect(learned, input).toEqual(want);
    }
  });

  it('refuses a capture with drops, naming them; learns from it with allowLoss', async () => {
    const err = await learnBaseline([join(ROOT, DEMO_CAPTURE)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LearnLossError);
    expect((err as LearnLossError).losses).toEqual(['the tracer dropped data: 3']);
    expect((err as Error).message).toMatch(/capture: lost data while it was recorded \(the tracer dropped data: 3\).*--allow-loss/);
    const learned = await learnBaseline([join(ROOT, DEMO_CAPTURE)], { allowLoss: true });
    expect(learned.entries.length).toBeGreaterThan(0);
  });

  it('refuses a raw trace with drops or malformed records, and learns the clean trace\'s entries when allowed', async () => {
    const clean = FIXTURES['rwx-memory.fire']!();
    const want = await learnBaseline([Buffer.from(clean)], { note: 'n' });
    expect(want.entries.map((e) => [e.match.path, e.jit, e.rwx])).toEqual([['/Applications/Calc.app/Contents/MacOS/calc', true, true]]);
    const dropped = clean + DROPS;
    await expect(learnSource(Buffer.from(dropped))).rejects.toThrow(LearnLossError);
    expect(await learnBaseline([Buffer.from(dropped)], { note: 'n', allowLoss: true })).toEqual(want);
    // A record line that does not decode (a field cut short) is data lost too.
    const lines = clean.split('\n');
    const at = lines.findIndex((l) => l.includes('\tmmap\t'));
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at]!.split('\t').slice(0, 6).join('\t');
    const err = await learnSource(Buffer.from(lines.join('\n'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LearnLossError);
    expect((err as LearnLossError).losses[0]).toMatch(/^malformed records: 1$/);
  });

  it('baseline learn exits 2 on a capture with drops and says why; --allow-loss learns it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-learn-'));
    const run = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      let code = -1;
      const program = new Command().exitOverride();
      registerBaselineCommands(program, { learnSource, out: (s) => out.push(s), err: (s) => err.push(s), setExitCode: (c) => (code = c) });
      await program.parseAsync(['node', 'loadtrace', ...args]);
      return { out: out.join(''), err: err.join(''), code };
    };
    const file = join(dir, 'demo.json');
    const refused = await run(['baseline', 'learn', join(ROOT, DEMO_CAPTURE), '--no-defaults', '-o', file]);
    expect(refused.code).toBe(2);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^loadtrace: .*capture: lost data while it was recorded \(the tracer dropped data: 3\).*--allow-loss/);
    const allowed = await run(['baseline', 'learn', join(ROOT, DEMO_CAPTURE), '--no-defaults', '--note', 'n', '--allow-loss', '-o', file]);
    expect(allowed.code).toBe(0);
    expect(loadBaseline(file)).toEqual(BEFORE[DEMO_CAPTURE]);
  });
});
