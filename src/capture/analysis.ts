/**
 * The capture analysis made of loadtrace's own stages: the pipeline (parse,
 * reorder, state, rules, baseline) and the reporters, with the same
 * reporting options as replay, so a live run and a replay of its capture
 * directory print the same findings.
 */
import { readFileSync } from 'node:fs';
import { BaselineError, parseBaseline } from '../baseline/load.ts';
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';
import type { Finding, Report } from '../engine/index.ts';
import { humanSummary } from '../report/human-summary.ts';
import { describeBaseline } from '../pipeline/baseline-choice.ts';
import { createPipeline, type PipelineResult } from '../pipeline/index.ts';
import { failOn as failOnCode, filterFindings, findingToJson, formatJsonLines, formatTable, parseSeverity, severityLabel, summaryObject } from '../report/index.ts';
import { createTimelineCollector, renderHtml, type TimelineCollector } from '../report/html/index.ts';
import type { CaptureAnalysis } from './ports.ts';
import type { ReportChoices } from './ports.ts';
import type { Logger } from './log.ts';

/** One line for a finding as it arrives (table format): the full table follows at the end. */
function liveLine(f: Finding, color: boolean): string {
  return `${severityLabel(f.severity, color)} ${f.rule} ${f.name}: ${f.summary} [${f.process.name} pid ${f.process.pid}]\n`;
}

/** Builds the analysis from reporting choices; a bad baseline is a usage error naming the file. */
export function createCaptureAnalysis(choices: ReportChoices, logger: Logger, opts: { color?: boolean } = {}): CaptureAnalysis {
  let baseline;
  let baselineText: string;
  try {
    try {
      baselineText = readFileSync(choices.baseline, 'utf8');
    } catch (err) {
      throw new BaselineError(choices.baseline, [{ path: '', message: `cannot read: ${(err as Error).message}` }], { cause: err });
    }
    baseline = parseBaseline(baselineText, choices.baseline);
  } catch (err) {
    if (err instanceof BaselineError) throw new CaptureError(err.message, EXIT.usage, { cause: err });
    throw err;
  }
  let minSeverity;
  let failOn;
  try {
    minSeverity = parseSeverity(choices.minSeverity);
    failOn = choices.failOn === null ? null : parseSeverity(choices.failOn);
  } catch (err) {
    throw new CaptureError((err as Error).message, EXIT.usage, { cause: err });
  }
  const min = minSeverity;
  let result: PipelineResult | null = null;
  let timeline: TimelineCollector | null = null;
  // 'engine' is the module name log lines have always carried; filters may rely on it.
  const log = logger.child({ module: 'engine' });
  return {
    baseline: { source: choices.baseline, text: baselineText },
    createAnalyzer(req) {
      const r = choices.resources;
      // --html: the page's timelines are collected from the events as they pass, in bounded memory.
      const tl = choices.html ? createTimelineCollector({ os: req.os }) : null;
      timeline = tl;
      const p = createPipeline({
        nonce: req.nonce,
        os: req.os,
        backend: req.backend,
        baseline,
        onFinding: tl
          ? (f) => {
              tl.finding(f.process.pid);
              req.onFinding(f);
            }
          : req.onFinding,
        onEvent: tl ? (e) => tl.event(e) : undefined,
        onForeign: req.onOutput,
        maxLineLength: r?.maxLineLength,
        reorderMaxEvents: r?.reorderMaxEvents,
        limits: r?.limits,
      });
      return {
        stdout: p.stdout,
        stderr: p.stderr,
        progress: () => p.progress(),
        async finish(extra) {
          result = await p.finish(extra);
          return result;
        },
      };
    },
    renderLiveFinding(finding) {
      const f = finding as Finding;
      if (filterFindings([f], min).length === 0) return '';
      if (choices.format === 'jsonl') return `${JSON.stringify(findingToJson(f))}\n`;
      if (choices.format === 'table') return liveLine(f, opts.color === true);
      return '';
    },
    // The same documents `loadtrace replay` prints for the capture directory.
    renderFinal(report, capture) {
      const r = report as Report;
      const parse = result?.parse;
      if (choices.format === 'json') {
        const summary = summaryObject(r, {
          minSeverity: min,
          parse,
          meta: { capture: { dir: capture.dir, tool: capture.tool, ending: capture.ending }, baseline: { source: choices.baseline, origin: choices.baselineOrigin ?? 'given' } },
        });
        return `${JSON.stringify({ ...(parse ?? {}), ...summary }, null, 2)}\n`;
      }
      if (choices.format === 'jsonl') {
        // Live lines are first-seen snapshots; counts and evidence grow afterwards. The final state
        // closes the stream, each line marked, so a pipe ends with what findings.jsonl holds.
        return filterFindings(r.findings, min)
          .map((f) => `${JSON.stringify({ final: true, ...findingToJson(f) })}\n`)
          .join('');
      }
      if (choices.format === 'table') {
        const table = formatTable(r, { minSeverity: min, color: opts.color === true, utc: choices.utc === true });
        return `\n${table}\n${result ? humanSummary(result.parse, result, { minSeverity: min, baseline: describeBaseline({ source: choices.baseline, origin: choices.baselineOrigin ?? 'given' }) }) : ''}`;
      }
      return '';
    },
    reportHtml(report, meta) {
      if (timeline === null) return null;
      const r = report as Report;
      return renderHtml({ report: { ...r, findings: filterFindings(r.findings, min) }, parse: result?.parse ?? null, timeline: timeline.result(), meta });
    },
    findingsJsonl(report) {
      return formatJsonLines((report as Report).findings);
    },
    summaryJson(report) {
      return summaryObject(report as Report, { parse: result?.parse ?? null });
    },
    findingCounts(report) {
      const r = report as Report;
      const bySeverity: Record<string, number> = {};
      for (const f of r.findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
      return { total: r.findings.length, bySeverity };
    },
    failsOn(report) {
      if (failOn === null) return false;
      const hit = failOnCode(report as Report, { severity: failOn, minSeverity: min }) === EXIT.findings;
      if (hit) log.debug({ failOn }, 'findings at or above --fail-on');
      return hit;
    },
  };
}
