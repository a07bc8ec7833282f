/**
 * `loadtrace capture` and `loadtrace doctor`. Options are turned into a
 * validated capture request here; everything else lives in capture.ts and
 * doctor.ts. docs/capture.md documents both commands and their exit codes.
 */
import { Command, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { COLOR_WHEN, useColor, type ColorWhen } from './color.ts';
import { CaptureError } from '../capture/errors.ts';
import { CliError, EXIT } from './exit.ts';
import { addExamples } from './help.ts';
import { positiveInt, targetFromFlags } from './args.ts';
import { addLimitOptions, limitsFromFlags, type LimitFlags } from './limits.ts';
import { addScriptOptions, scriptOptionsOf, type ScriptFlags } from './tools.ts';
import { SEVERITIES } from '../rules/types.ts';
import { defaultBaselinePath } from '../baseline/load.ts';
import { BACKENDS } from '../generate/options.ts';
import { runCapture, type CaptureDeps, type CaptureOptions } from '../capture/capture.ts';
import { runDoctor, renderDoctor, systemDoctorDeps } from '../capture/doctor.ts';
import { ON_DROPS, parseDropThreshold } from '../capture/drops.ts';
import type { CaptureAnalysis, FollowGenerateFn, GenerateFn, ReportChoices, Target } from '../capture/ports.ts';
import { createLogger, LOG_LEVELS, type Logger } from '../capture/log.ts';
import { runCommand } from '../capture/run-command.ts';
import { defaultBackend, isRoot, type Backend } from '../capture/tracer.ts';

/** Reporting choices shared with replay. */
/** How the CLI gets the generator and the analysis; replaceable for tests. */
export interface CaptureCliDeps {
  loadGenerate(): Promise<{ generate: GenerateFn; generateFollow: FollowGenerateFn | null }>;
  loadAnalysis(choices: ReportChoices, logger: Logger): Promise<CaptureAnalysis | null>;
  /** Extra runCapture dependencies (tests: signals, streams). */
  readonly capture?: Partial<CaptureDeps>;
}

const seconds = (name: string) => (v: string) => {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n <= 0) throw new CliError(`${name}: expected a number of seconds above 0, got "${v}"`, EXIT.usage);
  return n;
};

interface RawCaptureFlags extends LimitFlags, ScriptFlags {
  pid?: number;
  command?: string;
  name?: string;
  out?: string;
  duration?: number;
  baseline?: string;
  backend?: Backend;
  printScript?: boolean;
  format: 'table' | 'jsonl' | 'json';
  html?: boolean;
  showOutput?: boolean;
  utc?: boolean;
  color?: ColorWhen | boolean;
  minSeverity: string;
  failOn?: string;
  onDrops: 'log' | 'fail';
  dropThreshold?: string;
  logLevel: string;
  follow: 'auto' | 'on' | 'off';
  maxTracers: number;
  stopTimeout: number;
  runAs?: string;
}

/** The words after `--` on the command line of this invocation, if any. */
function argsAfterDashDash(cmd: Command): string[] | null {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
  const at = raw.indexOf('--');
  return at < 0 ? null : raw.slice(at + 1);
}

/** Who a command target runs as: under sudo the invoking user (SUDO_UID), or --run-as USER; null keeps root. */
function runAsFromFlags(
  flag: string | undefined,
  target: Target,
  ctx: { env: NodeJS.ProcessEnv; isRoot: boolean; platform: NodeJS.Platform },
): CaptureOptions['runAs'] {
  if (target.kind !== 'command') {
    if (flag !== undefined) throw new CliError('--run-as applies to a command target (-c CMD or -- CMD ARGS…)', EXIT.usage);
    return null;
  }
  const sudoUid = ctx.env.SUDO_UID;
  const who = flag ?? (ctx.isRoot && sudoUid !== undefined && /^\d+$/.test(sudoUid) && sudoUid !== '0' ? sudoUid : null);
  if (who === null || who === 'root') return null;
  if (ctx.platform === 'darwin') throw new CliError('--run-as: running the command as another user needs setpriv, which macOS lacks; pass --run-as root', EXIT.usage);
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', who], { encoding: 'utf8', env: ctx.env, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!;
  } catch {
    throw new CliError(`--run-as ${who}: no such user${flag === undefined ? ' (from SUDO_UID)' : ''}`, EXIT.usage);
  }
  const [user, , uid, gid] = entry.split(':');
  if (user === undefined || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) throw new CliError(`--run-as ${who}: unreadable passwd entry`, EXIT.usage);
  if (Number(uid) === 0) return null;
  const sudoGid = flag === undefined ? ctx.env.SUDO_GID : undefined;
  return { user, uid: Number(uid), gid: sudoGid !== undefined && /^\d+$/.test(sudoGid) ? Number(sudoGid) : Number(gid) };
}

/** The file a command word runs: itself when it holds a slash, else the first match on PATH. */
function resolveCommand(word: string): string | null {
  if (word.includes('/')) return word;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, word);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/**
 * bpftrace -c execs the file directly and fails on an interpreter script with a misleading
 * "does not exist or is not executable", ending the capture as a crash: say so up front.
 */
export function refuseScriptCommand(word: string): void {
  const file = resolveCommand(word);
  if (file === null) return;
  let head = '';
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(2);
      head = buf.subarray(0, readSync(fd, buf, 0, 2, 0)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // unreadable here: let the tracer report it
  }
  if (head === '#!') {
    throw new CliError(
      `-c ${word}: ${file} is an interpreter script, and bpftrace -c starts only binaries; name the interpreter: -c "/bin/sh ${file}"`,
      EXIT.usage,
    );
  }
}

const defaultCliDeps: CaptureCliDeps = {
  async loadGenerate() {
    const mod = await import('../generate/index.ts');
    return { generate: mod.generate as GenerateFn, generateFollow: mod.generateFollow as FollowGenerateFn };
  },
  async loadAnalysis(choices, logger) {
    const { createCaptureAnalysis } = await import('../capture/analysis.ts');
    return createCaptureAnalysis(choices, logger, { color: choices.color === true });
  },
};

/** Adds `capture` and `doctor` to the program. */
export function registerCaptureCommands(program: Command, deps: CaptureCliDeps = defaultCliDeps): void {
  const platform = process.platform;
  const capture = program.command('capture');
  addExamples(capture, [
    ['sudo loadtrace capture -c ./suspect', 'run a command as you and trace it and its children'],
    ['sudo loadtrace capture -p 4242 -d 30', 'a running process, for 30 s'],
    ['sudo loadtrace capture -n Safari --min-severity high', 'processes by name, high findings only'],
    ['sudo loadtrace capture dlsnoop', 'one tool, system-wide, until Ctrl-C'],
    ['sudo loadtrace capture --format jsonl --fail-on high -- ./t', 'for CI: JSON lines, exit 1 on high'],
  ]);
  capture
    .description(
      'Trace live and keep everything in a capture directory: the script, raw stdout/stderr, meta.json, ' +
        'findings.jsonl and summary.json. Findings print while the tracer runs. Ctrl-C stops cleanly; ' +
        'a second Ctrl-C kills the tracer. Exit codes: docs/capture.md.',
    )
    .argument('[tool]', 'tool to run (an0840, dlsnoop, rwxsnoop, anonexec, procsnoop)', 'an0840')
    .argument('[command...]', 'command to run and trace, after --')
    .option('-p, --pid <pid>', 'trace this process', positiveInt('-p'))
    .option('-c, --command <cmd>', 'run this command and trace it (split like a shell, no expansion)')
    .option('-n, --name <name>', 'trace processes with this name')
    .option('--run-as <user>', 'run the -c command as this user (default under sudo: the user who ran sudo; root to keep root)')
    .option('--out <dir>', 'capture directory (default ./captures/<tool>-<UTC time>-<random>)')
    .option('-d, --duration <seconds>', 'stop after this many seconds', seconds('--duration'))
    .option('--baseline <file>', `baseline file (default: the package's baselines/${platform === 'darwin' ? 'macos' : 'linux'}-default.json); a copy is kept in the capture as baseline.json`)
    .addOption(new Option('--backend <backend>', `tracer (default ${defaultBackend(platform)})`).choices(BACKENDS))
    .option('--print-script', 'print the generated script and exit')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'jsonl', 'json']).default('table'))
    .option('--show-output', "show the -c program's output (the tracer's stdout lines that are not records) on stderr; default on a terminal")
    .option('--utc', 'times in the table in UTC (Z) instead of the local zone')
    .addOption(new Option('--color <when>', 'ANSI colours in the table: auto (a terminal, and NO_COLOR unset or empty), always, never').choices([...COLOR_WHEN]).default('auto'))
    .option('--no-color', 'same as --color never')
    .option('--html', 'also write report.html, one self-contained page with timelines, into the capture directory')
    .addOption(new Option('--min-severity <severity>', 'hide findings below this').choices([...SEVERITIES]).default('info'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a reported finding is at or above this (findings hidden by --min-severity never count)').choices([...SEVERITIES]))
    .addOption(new Option('--on-drops <action>', 'what drops over the threshold do').choices([...ON_DROPS]).default('log'))
    .option('--drop-threshold <n>', 'drops allowed: a count (100), a fraction (0.01) or a percentage (1%); default 0')
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices([...LOG_LEVELS]).default('info'))
    .addOption(new Option('--follow <mode>', 'per-pid tracers for new processes (dtrace, -n or system-wide)').choices(['auto', 'on', 'off']).default('auto'))
    .option('--max-tracers <n>', 'follow mode: most per-pid tracers at once', positiveInt('--max-tracers'), 16)
    .option('--stop-timeout <seconds>', 'after Ctrl-C, wait this long for the tracer before killing it', seconds('--stop-timeout'), 15)
    .action(async (tool: string, command: string[], flags: RawCaptureFlags, cmd: Command) => {
      const afterDashDash = argsAfterDashDash(cmd);
      // commander hands words after `--` to the first free operand: the command starts after `--`, not at [tool].
      let toolName = tool;
      if (afterDashDash && afterDashDash.length > 0 && command.length + 1 === afterDashDash.length && tool === afterDashDash[0]) {
        toolName = 'an0840';
      } else if (!afterDashDash && command.length > 0) {
        throw new CliError(`unexpected argument "${command[0]}": put the command to trace after -- (or use -c)`, EXIT.usage);
      }
      const target = targetFromFlags(flags, { argv: afterDashDash, mustExist: true });
      const backend = flags.backend ?? defaultBackend(platform);
      if (target.kind === 'command' && backend === 'bpftrace') refuseScriptCommand(target.command[0]!);
      const toolOptions = scriptOptionsOf(flags);
      const stderrIsTTY = deps.capture?.stderrIsTTY ?? Boolean(process.stderr.isTTY);
      const logger = deps.capture?.logger ?? createLogger(flags.logLevel, { tty: stderrIsTTY });
      const { generate, generateFollow } = await deps.loadGenerate();

      if (flags.printScript) {
        let gen;
        try {
          gen = generate({ tool: toolName, backend, target, options: toolOptions });
        } catch (err) {
          if (err instanceof CliError || err instanceof CaptureError) throw err;
          throw new CliError(`cannot generate the ${toolName} script: ${(err as Error).message}`, EXIT.usage, { cause: err });
        }
        (deps.capture?.stdout ?? process.stdout).write(gen.script.endsWith('\n') ? gen.script : `${gen.script}\n`);
        process.exitCode = EXIT.ok;
        return;
      }

      const options: CaptureOptions = {
        tool: toolName,
        backend,
        target: target.kind === 'command' ? { kind: 'command', command: [...target.command] } : target,
        toolOptions,
        out: flags.out,
        durationSec: flags.duration,
        onDrops: flags.onDrops,
        dropThreshold: flags.dropThreshold !== undefined ? parseDropThreshold(flags.dropThreshold) : undefined,
        follow: flags.follow,
        maxTracers: flags.maxTracers,
        stopTimeoutMs: Math.round(flags.stopTimeout * 1000),
        ...(flags.showOutput ? { showOutput: true } : {}),
        runAs: runAsFromFlags(flags.runAs, target, { env: process.env, isRoot: isRoot(), platform }),
      };
      if (options.runAs) logger.info(`running the command as ${options.runAs.user} (uid ${options.runAs.uid}); --run-as root keeps root`);
      const choices: ReportChoices = {
        format: flags.format,
        minSeverity: flags.minSeverity,
        failOn: flags.failOn ?? null,
        baseline: flags.baseline ?? defaultBaselinePath(platform === 'darwin' ? 'darwin' : 'linux'),
        baselineOrigin: flags.baseline === undefined ? 'default' : 'given',
        resources: limitsFromFlags(flags),
        html: flags.html === true,
        utc: flags.utc === true,
        color: useColor(flags.color, (deps.capture?.stdout ?? process.stdout) as { isTTY?: boolean }),
      };
      const analysis = await deps.loadAnalysis(choices, logger);
      const result = await runCapture(options, { generate, generateFollow, analysis, logger, stderrIsTTY, ...deps.capture });
      process.exitCode = result.exitCode;
    });
  addScriptOptions(capture);
  addLimitOptions(capture);

  const doctor = program.command('doctor');
  addExamples(doctor, [
    ['loadtrace doctor', "can this machine capture with its default tracer?"],
    ['loadtrace doctor --backend dtrace', 'with DTrace (for Linux) instead'],
    ['loadtrace doctor --json', 'the checks as JSON'],
  ]);
  doctor
    .description('Check that this machine can capture: platform, tracer, privileges, SIP, probes, tracefs. Exit 1 if not.')
    .addOption(new Option('--backend <backend>', 'check this tracer').choices(BACKENDS))
    .option('--json', 'machine-readable output')
    .action(async (flags: { backend?: Backend; json?: boolean }) => {
      const report = await runDoctor(systemDoctorDeps(runCommand, isRoot()), flags.backend);
      const out = deps.capture?.stdout ?? process.stdout;
      out.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
      // 1: a required check failed (doctor has no findings; 1 is what shell scripts test for).
      process.exitCode = report.ok ? EXIT.ok : 1;
    });
}
