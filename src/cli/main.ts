/**
 * The `loadtrace` command line. Each command group has its module in cli/
 * (replay.ts, capture.ts, tools.ts, baseline.ts); this file only assembles them
 * and turns errors into exit codes (error-exits.ts).
 *
 * A command's module (and with it zod, pino, the parser, the engine…) is
 * imported only when that command runs: `--version` and `--help` load
 * commander and this file, and start in a fraction of the time.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from '../exit-codes.ts';
import { VERSION } from '../version.ts';

/** A group of commands one module registers, with the one-line summary of each for the top-level help. */
interface CommandGroup {
  readonly commands: Readonly<Record<string, string>>;
  register(program: Command): Promise<void>;
}

const GROUPS: readonly CommandGroup[] = [
  {
    commands: { replay: 'replay a capture directory, raw trace or stdin and report findings' },
    register: async (p) => (await import('./replay.ts')).registerReplayCommand(p),
  },
  {
    commands: {
      capture: 'trace live, print findings as they happen, keep a capture directory',
      doctor: 'check that this machine can capture, with a fix for each failure',
    },
    register: async (p) => (await import('./capture.ts')).registerCaptureCommands(p),
  },
  {
    commands: { tools: 'list the tracing tools, one line each', generate: "print a tool's D (or bpftrace) script" },
    register: async (p) => (await import('./tools.ts')).registerToolsCommands(p),
  },
  {
    commands: { baseline: 'learn, show, compare and check baselines' },
    register: async (p) => {
      const [{ registerBaselineCommands }, { learnSource }] = await Promise.all([import('./baseline.ts'), import('../pipeline/learn.ts')]);
      registerBaselineCommands(p, { learnSource });
    },
  },
];

function newProgram(): Command {
  return new Command('loadtrace')
    .description(
      'Trace and judge reflective code loading (MITRE ATT&CK T1620, analytic AN0840):\n' +
        'atypical dlopen/dlsym, RWX and W->X anonymous memory, and code run from it.\n' +
        'DTrace on macOS, bpftrace on Linux.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  loadtrace replay test/fixtures/demo/capture     # replay the bundled demo capture\n' +
        '  loadtrace doctor                                # can this machine trace?\n' +
        '  sudo loadtrace capture -c ./suspect             # trace a command and its children\n' +
        '  sudo loadtrace capture -p 4242 -d 30            # a running process, for 30 s\n' +
        '  loadtrace <command> --help                      # options and examples of a command\n',
    );
}

/** Registers the given groups and stubs (name and summary only) for the others, in a fixed order. */
async function assemble(program: Command, load: (g: CommandGroup) => boolean): Promise<Command> {
  for (const g of GROUPS) {
    if (load(g)) {
      await g.register(program);
    } else {
      for (const name of Object.keys(g.commands)) program.command(name);
    }
    for (const [name, summary] of Object.entries(g.commands)) program.commands.find((c) => c.name() === name)?.summary(summary);
  }
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Builds the whole program; exported so tests can drive it without a child process. */
export function buildProgram(): Promise<Command> {
  return assemble(newProgram(), () => true);
}

/** The command an argv runs (`help X` runs X's help), or null for the top level. */
function invokedCommand(argv: readonly string[]): string | null {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  if (words[0] === 'help') return words[1] ?? null;
  return words[0] ?? null;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`loadtrace replay … | head`) is not an error of ours: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
    throw err;
  });
  try {
    const name = invokedCommand(argv);
    const program = await assemble(newProgram(), (g) => name !== null && Object.hasOwn(g.commands, name));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`loadtrace: ${err instanceof Error ? err.message : String(err)}\n`);
    return (await import('./error-exits.ts')).exitCodeOf(err);
  }
}
