/**
 * `loadtrace baseline …` subcommands. The caller wires them into its program
 * and injects how inputs are read, so this file does no parsing of traces.
 */
import { writeFileSync } from 'node:fs';
import { addExamples } from './help.ts';
import type { Command } from 'commander';
import type { Os } from '../protocol/flags.ts';
import { baselineFromFindings, diffBaselines, formatBaseline, formatDiff, mergeBaselines, type LearnSource } from '../baseline/learn.ts';
import { BaselineError, defaultBaselinePath, loadBaseline } from '../baseline/load.ts';

export interface BaselineCommandDeps {
  /**
   * One input (a capture directory, a raw trace file, `-` for stdin) run through the replay pipeline for learning;
   * rejects an input that lost data unless `allowLoss` (pipeline/learn.ts).
   */
  learnSource(input: string, opts: { readonly os?: Os; readonly allowLoss?: boolean }): Promise<LearnSource>;
  /** Where results go (default: process.stdout). */
  readonly out?: (text: string) => void;
  /** Where errors go (default: process.stderr). */
  readonly err?: (text: string) => void;
  /** Exit status setter (default: sets process.exitCode). */
  readonly setExitCode?: (code: number) => void;
}

/** Exit codes of the baseline commands: `check` and `diff` answer with 1; bad input or options is 2, as everywhere. */
export const BASELINE_EXIT = { ok: 0, invalid: 1, differ: 1, usage: 2 } as const;

/** Add `baseline learn|show|diff|check` to a commander program. */
export function registerBaselineCommands(program: Command, deps: BaselineCommandDeps): Command {
  const out = deps.out ?? ((s: string) => void process.stdout.write(s));
  const err = deps.err ?? ((s: string) => void process.stderr.write(s));
  const exit = deps.setExitCode ?? ((c: number) => void (process.exitCode = c));
  const fail = (e: unknown) => {
    err(`loadtrace: ${(e as Error).message}\n`);
    exit(BASELINE_EXIT.usage);
  };

  const baseline = program.command('baseline').description('learn, show, compare and check baselines');
  addExamples(baseline, [
    ['loadtrace baseline learn captures/clean-1 -o mine.json', 'learn from a clean capture'],
    ['loadtrace baseline show mine.json', 'list its entries'],
    ['loadtrace replay captures/suspect --baseline mine.json', 'judge a capture with it'],
  ]);

  const learn = baseline.command('learn');
  addExamples(learn, [
    ['loadtrace baseline learn captures/clean-1 captures/clean-2 -o mine.json', 'learned entries on top of the shipped baseline'],
    ['loadtrace baseline learn clean.trace --no-defaults -o only-learned.json', 'only what was learned'],
    ['loadtrace replay captures/suspect --baseline mine.json', 'then judge with it'],
  ]);
  learn
    .description('learn expected behaviour from clean captures or traces')
    .argument('<inputs...>', 'capture directories or raw trace files')
    .requiredOption('-o, --output <file>', 'baseline file to write')
    .option('--merge <file>', "merge what is learned into this baseline (default: the shipped one for the traces' platform)")
    .option('--no-defaults', 'keep only what is learned: no shipped baseline underneath')
    .option('--os <os>', 'darwin or linux (default: from the traces)')
    .option('--note <text>', 'note for learned entries', 'learned from clean captures')
    .option('--allow-loss', 'learn from inputs that lost data (drops, probe errors, malformed records); by default they are refused')
    .action(async (inputs: string[], o: { output: string; merge?: string; defaults: boolean; os?: string; note: string; allowLoss?: boolean }) => {
      try {
        if (o.os !== undefined && o.os !== 'darwin' && o.os !== 'linux') throw new Error(`--os must be darwin or linux, not ${o.os}`);
        if (o.merge !== undefined && !o.defaults) throw new Error('--merge and --no-defaults: choose one');
        const base = o.merge !== undefined ? loadBaseline(o.merge) : undefined;
        const skipped = new Set<string>();
        const sources: LearnSource[] = [];
        for (const input of inputs) {
          sources.push(await deps.learnSource(input, { ...(o.os !== undefined ? { os: o.os as Os } : {}), allowLoss: o.allowLoss === true }));
        }
        let learned = baselineFromFindings(sources, {
          note: o.note,
          ...(o.os !== undefined ? { os: o.os as Os } : {}),
          ...(base !== undefined ? { base } : {}),
          onSkip: (s) => {
            const k = s.reason;
            if (!skipped.has(k)) err(`warning: ${inputs[s.input] ?? `input ${s.input}`}: ${k}\n`);
            skipped.add(k);
          },
        });
        let under = o.merge ?? null;
        // A learned baseline replaces the default one when used: without the shipped entries
        // underneath, every common JIT and loader the default knows would become a finding.
        if (base === undefined && o.defaults) {
          under = defaultBaselinePath(learned.os === 'darwin' ? 'darwin' : 'linux');
          learned = mergeBaselines(loadBaseline(under), learned);
        }
        writeFileSync(o.output, `${JSON.stringify(learned, null, 2)}\n`);
        out(`${o.output}: ${learned.entries.length} entries${under !== null ? ` (learned entries merged into ${under})` : ''}\n`);
        exit(BASELINE_EXIT.ok);
      } catch (e) {
        fail(e);
      }
    });

  const show = baseline.command('show');
  addExamples(show, [
    ['loadtrace baseline show baselines/linux-default.json', 'the entries, one a line'],
    ['loadtrace baseline show mine.json --json', 'the validated baseline as JSON'],
  ]);
  show
    .description('list the entries of a baseline')
    .argument('<file>')
    .option('--json', 'print the validated baseline as JSON')
    .action((file: string, o: { json?: boolean }) => {
      try {
        const b = loadBaseline(file);
        out(`${o.json ? JSON.stringify(b, null, 2) : formatBaseline(b)}\n`);
        exit(BASELINE_EXIT.ok);
      } catch (e) {
        fail(e);
      }
    });

  const diff = baseline.command('diff');
  addExamples(diff, [['loadtrace baseline diff baselines/linux-default.json mine.json', 'what learning added or changed']]);
  diff
    .description('compare two baselines entry by entry (exit 1 when they differ)')
    .argument('<a>')
    .argument('<b>')
    .action((a: string, b: string) => {
      try {
        const text = formatDiff(diffBaselines(loadBaseline(a), loadBaseline(b)));
        out(text === '' ? 'no differences\n' : `${text}\n`);
        exit(text === '' ? BASELINE_EXIT.ok : BASELINE_EXIT.differ);
      } catch (e) {
        fail(e);
      }
    });

  const check = baseline.command('check');
  addExamples(check, [['loadtrace baseline check mine.json', 'exit 0 when valid, 1 naming the bad entry']]);
  check
    .description('validate a baseline file (exit 0 valid, 1 invalid)')
    .argument('<files...>')
    .action((files: string[]) => {
      let bad = false;
      for (const f of files) {
        try {
          const b = loadBaseline(f);
          out(`${f}: valid (${b.entries.length} entries)\n`);
        } catch (e) {
          bad = true;
          err(`${e instanceof BaselineError ? e.message : `${f}: ${(e as Error).message}`}\n`);
        }
      }
      exit(bad ? BASELINE_EXIT.invalid : BASELINE_EXIT.ok);
    });

  return baseline;
}
