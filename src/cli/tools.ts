/**
 * `loadtrace tools` and `loadtrace generate`: list the tools, and print (or write) a
 * generated script with the tracer command line that runs it.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { integer, nonNegativeInt, positiveInt, targetFromFlags, type TargetFlags } from './args.ts';
import { EXIT } from './exit.ts';
import { addExamples } from './help.ts';
import { defaultBackend } from '../capture/tracer.ts';
import { BACKENDS, type Backend } from '../generate/options.ts';
import { GenerateError, SCRIPT_PATH, TOOLS, generate, type GenerateResult, type ToolName, type ToolOptionsInput } from '../generate/index.ts';

/** The script options `generate` and `capture` share, as commander hands them over. */
export interface ScriptFlags {
  uid?: number;
  bufsize?: string;
  switchrate?: string;
  strsize?: number;
  dynvarsize?: string;
  ustack?: boolean;
  temporal?: boolean;
  unfiltered?: boolean;
  sampleHz?: number;
  sampleLimit?: number;
  libc?: string;
}

const SCRIPT_OPTION_KEYS = ['uid', 'bufsize', 'switchrate', 'strsize', 'dynvarsize', 'ustack', 'temporal', 'unfiltered', 'sampleHz', 'sampleLimit', 'libc'] as const;

/** Declare the script options once, so `generate` and `capture` take the same flags; the generator's zod schema validates them. */
export function addScriptOptions(cmd: Command): Command {
  return cmd
    .option('--uid <uid>', 'only processes of this user id', nonNegativeInt('--uid'))
    .option('--bufsize <size>', 'tracer buffer size per CPU, e.g. 16m')
    .option('--switchrate <rate>', 'DTrace buffer switch rate, e.g. 10hz')
    .option('--strsize <bytes>', 'longest string copied from the process', positiveInt('--strsize'))
    .option('--dynvarsize <size>', 'DTrace dynamic variable space, e.g. 16m')
    .option('--ustack', 'print the user stack after each record that findings cite')
    .option('--temporal', 'DTrace: merge CPU buffers in time order (dtrace-284 and later)')
    .option('--unfiltered', 'print every mapping event, not only executable ones')
    .option('--sample-hz <hz>', 'anonexec sampling frequency', positiveInt('--sample-hz'))
    .option('--sample-limit <n>', 'samples per second per process', positiveInt('--sample-limit'))
    .option('--libc <path>', 'bpftrace: library exporting dlopen/dlsym');
}

/** The generator options among the flags: only those given, so the generator's defaults apply. */
export function scriptOptionsOf(f: ScriptFlags): ToolOptionsInput {
  const o: Record<string, unknown> = {};
  for (const k of SCRIPT_OPTION_KEYS) if (f[k] !== undefined) o[k] = f[k];
  return o as ToolOptionsInput;
}

interface GenerateFlags extends ScriptFlags, TargetFlags {
  backend: Backend;
  os: 'darwin' | 'linux';
  duration?: number;
  nonce?: string;
  output?: string;
}

function optionsOf(f: GenerateFlags): ToolOptionsInput {
  return f.duration === undefined ? scriptOptionsOf(f) : { ...scriptOptionsOf(f), duration: f.duration };
}

/** Shell-quoted command line for people to copy (the script path substituted). */
function commandLine(r: GenerateResult, path: string): string {
  const q = (s: string) => (/^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${q(v)}`);
  return [...env, r.tracer, ...r.tracerArgs.map((a) => (a === SCRIPT_PATH ? q(path) : q(a)))].join(' ');
}

/** Adds `tools` and `generate` to the program; `platform` (the host's) picks the defaults, as for capture. */
export function registerToolsCommands(program: Command, platform: NodeJS.Platform = process.platform): void {
  const tools = program.command('tools');
  addExamples(tools, [
    ['loadtrace tools', 'the tools, one line each'],
    ['loadtrace generate dlsnoop -p 4242', 'then the script of one'],
  ]);
  tools
    .description('list the tracing tools, one line each')
    .action(() => {
      const width = Math.max(...TOOLS.map((t) => t.name.length));
      for (const t of TOOLS) process.stdout.write(`${t.name.padEnd(width)}  ${t.summary}\n`);
    });

  const command = program.command('generate');
  addExamples(command, [
    ['loadtrace generate an0840', "system-wide, for this machine's tracer"],
    ['loadtrace generate dlsnoop -p 4242 -o dlsnoop.d --backend dtrace', 'a D script for one process, into a file'],
    ['loadtrace generate rwxsnoop --backend dtrace --os darwin', 'a D script for macOS, from Linux'],
    ['loadtrace generate an0840 -o an0840.bt --backend bpftrace', 'then run the command line it prints, as root'],
  ]);
  command
    .description('print the D (or bpftrace) script of a tool; system-wide when no target is given')
    .argument('<tool>', `one of ${TOOLS.map((t) => t.name).join(', ')}`)
    .option('-p, --pid <pid>', 'trace this process', integer('--pid'))
    .option('-c, --command <cmd>', 'start and trace this command (split like a shell, no expansion)')
    .option('-n, --name <name>', 'trace processes with this name')
    .addOption(new Option('--backend <backend>', 'tracer (default: the one capture uses here)').choices(BACKENDS).default(defaultBackend(platform)))
    .addOption(
      new Option('--os <os>', 'system a D script runs on: its flag values and probes').choices(['darwin', 'linux']).default(platform === 'darwin' ? 'darwin' : 'linux'),
    )
    .option('--duration <seconds>', 'stop after this many seconds', integer('--duration'));
  addScriptOptions(command)
    .option('--nonce <hex>', '16 hex digits, for reproducible output')
    .option('-o, --output <file>', 'write the script here instead of stdout')
    .action((tool: string, flags: GenerateFlags) => {
      try {
        const r = generate({
          tool: tool as ToolName,
          backend: flags.backend,
          target: targetFromFlags(flags, { mustExist: false }),
          options: optionsOf(flags),
          ...(flags.nonce !== undefined ? { nonce: flags.nonce } : {}),
          ...(flags.backend === 'dtrace' ? { os: flags.os } : {}),
        });
        if (flags.output) {
          writeFileSync(flags.output, r.script);
          process.stderr.write(`wrote ${flags.output}\nrun: ${commandLine(r, flags.output)}\n`);
        } else {
          process.stdout.write(r.script);
          process.stderr.write(`run: ${commandLine(r, `${tool}${flags.backend === 'dtrace' ? '.d' : '.bt'}`)}\n`);
        }
        for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
      } catch (err) {
        if (err instanceof GenerateError) {
          process.stderr.write(`loadtrace generate: ${err.message}\n`);
          process.exitCode = EXIT.usage;
          return;
        }
        if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
          process.stderr.write(`loadtrace generate: ${err.message}\n`);
          process.exitCode = EXIT.usage;
          return;
        }
        throw err;
      }
    });
}
