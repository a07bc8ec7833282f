/**
 * `loadtrace replay`: a capture directory, a raw trace file or stdin through
 * the same pipeline a live capture uses.
 */
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import { BaselineError } from '../baseline/index.ts';
import { chooseBaseline, describeBaseline, type ChosenBaseline } from '../pipeline/baseline-choice.ts';
import type { Os } from '../protocol/flags.ts';
import { MARKER_PREFIX, NONCE_PATTERN, type TraceEvent } from '../protocol/registry.ts';
import { filterFindings, formatJsonLines, formatTable, parseSeverity, summaryObject, failOn, writePrettyJson, type Severity } from '../report/index.ts';
import { createEventFormatter } from '../report/events.ts';
import { humanSummary } from '../report/human-summary.ts';
import { createTimelineCollector, renderHtml } from '../report/html/index.ts';
import { CaptureDirError } from '../pipeline/capture-dir.ts';
import { checkIsTrace, inputName, InputError, openInput, type OpenedInput } from '../pipeline/input.ts';
import { replayStreams, type Pipeline, type PipelineResult } from '../pipeline/index.ts';
import { COLOR_WHEN, useColor, type ColorWhen } from './color.ts';
import { CliError, EXIT } from './exit.ts';
import { addExamples } from './help.ts';
import { addLimitOptions, limitsFromFlags, type LimitFlags } from './limits.ts';
import { inputSize, startReplayProgress } from './progress.ts';

interface ReplayFlags extends LimitFlags {
  baseline?: string;
  os?: Os;
  nonce?: string;
  events?: boolean;
  json?: boolean;
  format: 'table' | 'jsonl' | 'json' | 'html';
  minSeverity: string;
  failOn?: string;
  reorderWindow: string;
  color?: ColorWhen | boolean;
  utc?: boolean;
  allowEmpty?: boolean;
}

/** Register `loadtrace replay`. */
export function registerReplayCommand(program: Command): void {
  const cmd = program.command('replay');
  addExamples(cmd, [
    ['loadtrace replay captures/an0840-…', 'a capture directory, with the baseline it recorded'],
    ['loadtrace replay trace.txt --os linux --min-severity high', 'a raw trace file, high and critical only'],
    ['loadtrace replay captures/x --format jsonl --fail-on high', 'for CI: one finding a line, exit 1 on high'],
    ['loadtrace replay captures/x --events', 'the events as JSON lines, in time order'],
    ['loadtrace replay captures/x --events --format table', 'the events as a table, flags decoded'],
    ['loadtrace replay captures/x --format html > report.html', 'one page with timelines'],
  ]);
  cmd
    .description(
      'Replay a recorded trace through the whole pipeline and report findings.\n' +
        'INPUT is a capture directory (its meta.json gives the nonce and platform), a raw trace file, or - for stdin.',
    )
    .argument('<input>', 'capture directory, raw trace file, or - for stdin')
    .option('--baseline <file>', "baseline JSON (default: the one a capture directory recorded, else the shipped one for the trace's platform)")
    .addOption(new Option('--os <os>', 'platform of a raw trace without a begin record').choices(['darwin', 'linux']))
    .option('--nonce <hex>', 'session nonce of a raw trace (16 hex digits); without it records are unauthenticated')
    .option('--events', 'print the events in time order instead of findings: JSON Lines, or a table with an explicit --format table')
    .option('--json', 'print the machine-readable summary (same as --format json)')
    .addOption(new Option('--format <format>', 'findings output (html: one self-contained page with timelines)').choices(['table', 'jsonl', 'json', 'html']).default('table'))
    .option('--min-severity <severity>', 'hide findings below this severity (info, low, medium, high, critical)', 'info')
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity is reported (hidden findings never count)')
    .option('--reorder-window <ms>', 'reorder window in ms of trace time', '1000')
    .option('--utc', 'times in the tables in UTC (Z) instead of the local zone')
    .addOption(new Option('--color <when>', 'ANSI colours in the table: auto (a terminal, and NO_COLOR unset or empty), always, never').choices([...COLOR_WHEN]).default('auto'))
    .option('--no-color', 'same as --color never')
    .option('--allow-empty', 'accept input with no records or no begin record (default: exit 2, it is not a trace)');
  addLimitOptions(cmd).action(async (input: string, flags: ReplayFlags, self: Command) => {
      // --format defaults to table for findings, but --events alone has always printed JSON Lines:
      // only an explicit --format table turns the events into a table.
      const eventsTable = flags.events === true && flags.json !== true && flags.format === 'table' && self.getOptionValueSource('format') === 'cli';
      process.exitCode = await runReplay(input, flags, eventsTable);
    });
}

async function runReplay(input: string, flags: ReplayFlags, eventsTable: boolean): Promise<number> {
  let minSeverity: Severity;
  let failSeverity: Severity | undefined;
  try {
    minSeverity = parseSeverity(flags.minSeverity);
    failSeverity = flags.failOn === undefined ? undefined : parseSeverity(flags.failOn);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const windowMs = Number(flags.reorderWindow);
  if (!Number.isFinite(windowMs) || windowMs < 0) throw new CliError(`--reorder-window: '${flags.reorderWindow}' is not a number of milliseconds`);
  const bounds = limitsFromFlags(flags);
  if (flags.nonce !== undefined && !NONCE_PATTERN.test(flags.nonce)) {
    throw new CliError(`--nonce: '${flags.nonce}' is not 16 lowercase hex digits (the ${MARKER_PREFIX}<nonce> marker of the trace)`);
  }
  const format = flags.json ? 'json' : flags.format;
  if (flags.events && format === 'html') throw new CliError('--events prints events instead of a report: it cannot be combined with --format html');

  let opened: OpenedInput;
  try {
    opened = openInput(input, { nonce: flags.nonce, os: flags.os });
    // Surface a missing or unreadable file as a usage error before the pipeline starts.
    const src = opened.sources.stdout;
    if (input !== '-' && opened.capture === null) await new Promise<void>((res, rej) => src.once('open', () => res()).once('error', rej));
  } catch (err) {
    if (err instanceof CaptureDirError || err instanceof InputError) throw err; // exit 2 (usage), by the table in error-exits.ts
    throw new CliError(`${input}: cannot read: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  const { nonce, os, backend, capture } = opened;
  const captureMeta = capture ? { capture: { dir: input, tool: capture.tool, ending: capture.ending } } : {};
  let chosen: ChosenBaseline;
  try {
    chosen = chooseBaseline(flags.baseline, opened);
  } catch (err) {
    if (err instanceof BaselineError || err instanceof CaptureDirError) throw err; // exit 2 (usage), by the table in error-exits.ts
    throw err;
  }
  const baseline = chosen.baseline;
  const baselineNote = { source: chosen.source, origin: chosen.origin };

  const out = process.stdout;
  // Events written faster than stdout drains (a pipe to a slow reader) would pile up in memory: the input waits.
  let draining: Promise<void> | null = null;
  const eventLine = eventsTable ? createEventFormatter({ os, utc: flags.utc === true }) : (e: TraceEvent) => `${JSON.stringify(e)}\n`;
  const writeEvent = (e: TraceEvent) => {
    if (!out.write(eventLine(e)) && draining === null) {
      draining = once(out, 'drain').then(() => {
        draining = null;
      });
    }
  };
  // On a terminal, a long replay says how far it has got (not between events printed to the same terminal).
  let stopProgress = () => {};
  const started = process.stderr.isTTY && !(flags.events && process.stdout.isTTY)
    ? (p: Pipeline) => {
        const size = input === '-' ? null : inputSize(capture ? [capture.stdoutPath, capture.stderrPath] : [input]);
        stopProgress = startReplayProgress(process.stderr, p, [opened.sources.stdout, opened.sources.stderr], size);
      }
    : undefined;
  // The page's timelines are collected from the events as they pass, in bounded memory.
  const timeline = format === 'html' && !flags.events ? createTimelineCollector({ os }) : null;
  const result = await replayStreams(opened.sources, {
    nonce,
    os,
    backend,
    baseline,
    reorderWindowMs: windowMs,
    maxLineLength: bounds.maxLineLength,
    reorderMaxEvents: bounds.reorderMaxEvents,
    limits: bounds.limits,
    onEvent: flags.events ? writeEvent : timeline ? (e) => timeline.event(e) : undefined,
    onFinding: timeline ? (f) => timeline.finding(f.process.pid) : undefined,
    outputReady: flags.events ? () => draining : undefined,
  }, { notAttached: opened.notAttached, started }).finally(() => stopProgress());
  const { report, parse } = result;
  try {
    checkIsTrace(inputName(input), parse, flags.allowEmpty === true);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage, { cause: err });
  }
  if (!flags.events) {
    if (format === 'json') {
      const summary = summaryObject(report, { minSeverity, parse, meta: { ...captureMeta, baseline: baselineNote } });
      // The parse summary's keys also stand at the top level, where scripts look for them first.
      writePrettyJson({ ...parse, ...summary }, 'findings', (text) => out.write(text));
    } else if (format === 'html') {
      const shown = { ...report, findings: filterFindings(report.findings, minSeverity) };
      out.write(renderHtml({ report: shown, parse, timeline: timeline!.result(), meta: capture?.meta ?? null, source: input }));
    } else if (format === 'jsonl') {
      out.write(formatJsonLines(report.findings, { minSeverity }));
    } else {
      const color = useColor(flags.color, process.stdout);
      out.write(formatTable(report, { color, minSeverity, utc: flags.utc === true }));
      out.write('\n');
      out.write(humanSummary(parse, result, { minSeverity, baseline: describeBaseline(chosen) }));
    }
  }
  return failSeverity === undefined ? EXIT.ok : failOn(report, { severity: failSeverity, minSeverity });
}
