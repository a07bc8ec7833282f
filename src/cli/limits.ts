/**
 * Resource limits as command-line options, shared by `replay` and `capture`.
 * A trace may come from a hostile program or someone else's machine: each
 * bounded structure has a limit, a defined behaviour when it is reached, and a
 * blind spot saying so (docs/security.md).
 */
import type { Command } from 'commander';
import type { ResourceLimits } from '../capture/ports.ts';
import { DEFAULT_LIMITS, type EngineLimits } from '../engine/index.ts';
import { DEFAULT_MAX_LINE_LENGTH, DEFAULT_REORDER_MAX_EVENTS } from '../parse/options.ts';
import { CliError, EXIT } from './exit.ts';

export type { ResourceLimits } from '../capture/ports.ts';

/** The flags as commander hands them over (strings, validated here). */
export interface LimitFlags {
  maxLineLength?: string;
  reorderMaxEvents?: string;
  maxProcesses?: string;
  maxRegions?: string;
  maxFindings?: string;
}

const OPTIONS: readonly { flag: string; key: keyof LimitFlags; help: string }[] = [
  { flag: '--max-line-length <chars>', key: 'maxLineLength', help: `longest input line; a longer one becomes a parse_error (default ${DEFAULT_MAX_LINE_LENGTH})` },
  { flag: '--reorder-max-events <n>', key: 'reorderMaxEvents', help: `most events the reorder window holds; beyond it the oldest are released early (default ${DEFAULT_REORDER_MAX_EVENTS})` },
  { flag: '--max-processes <n>', key: 'maxProcesses', help: `processes kept; beyond it exited, then the oldest live ones are forgotten (default ${DEFAULT_LIMITS.maxProcesses})` },
  { flag: '--max-regions <n>', key: 'maxRegions', help: `memory regions kept per process; beyond it the least useful are forgotten (default ${DEFAULT_LIMITS.maxRegionsPerProcess})` },
  { flag: '--max-findings <n>', key: 'maxFindings', help: `distinct findings kept; beyond it new ones are only counted (default ${DEFAULT_LIMITS.maxFindings})` },
];

/** Add the resource-limit options to a command. */
export function addLimitOptions(cmd: Command): Command {
  for (const o of OPTIONS) cmd.option(o.flag, o.help);
  return cmd;
}

// Above 2^31 a limit is no limit at all; refuse it rather than pretend.
const MAX_LIMIT = 2 ** 31 - 1;

function positive(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new CliError(`${flag}: expected a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}`, EXIT.usage);
  }
  return n;
}

/** Validate the limit flags; a bad value is a usage error naming the option. */
export function limitsFromFlags(flags: LimitFlags): ResourceLimits {
  const limits: { -readonly [K in keyof EngineLimits]?: EngineLimits[K] } = {};
  const maxProcesses = positive('--max-processes', flags.maxProcesses);
  const maxRegions = positive('--max-regions', flags.maxRegions);
  const maxFindings = positive('--max-findings', flags.maxFindings);
  if (maxProcesses !== undefined) limits.maxProcesses = maxProcesses;
  if (maxRegions !== undefined) limits.maxRegionsPerProcess = maxRegions;
  if (maxFindings !== undefined) limits.maxFindings = maxFindings;
  return {
    maxLineLength: positive('--max-line-length', flags.maxLineLength),
    reorderMaxEvents: positive('--reorder-max-events', flags.reorderMaxEvents),
    limits,
  };
}
