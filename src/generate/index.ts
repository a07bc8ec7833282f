/**
 * Script generator: options + target -> one D or bpftrace program, with the tracer
 * arguments to run it. Public API of the generate stage.
 */
import { randomBytes } from 'node:crypto';
import type { Os } from '../protocol/flags.ts';
import { NONCE_PATTERN, type RecordKind } from '../protocol/registry.ts';
import { bpftraceMapClear, fillSlots, header, mergeProbeClauses, mergeSpecialProbes, readFragment } from './compose.ts';
import { expandDTemplates } from './dtemplates.ts';
import { GenerateError } from './errors.ts';
import { findLibc } from './libc.ts';
import { assertNoControl, intLiteral, stringLiteral } from './literals.ts';
import {
  targetSchema,
  toolOptionsSchema,
  type Backend,
  type Target,
  type ToolOptions,
  type ToolOptionsInput,
} from './options.ts';
import { TOOLS, composition, printedKinds, toolRecords, type ToolInfo, type ToolName } from './tools.ts';

export { GenerateError } from './errors.ts';
export { toolOptionsSchema, targetSchema } from './options.ts';
export type { Backend, Target, ToolOptions, ToolOptionsInput } from './options.ts';
export { TOOLS, type ToolInfo, type ToolName } from './tools.ts';
export { findLibc } from './libc.ts';

/** Stands for the script's file in `tracerArgs`: the caller writes the script and substitutes the path. */
export const SCRIPT_PATH = '{script}';

/**
 * Longest string a bpftrace 0.17 script here can read: BPFTRACE_STRLEN allows 200, but
 * str() plus buf() of a path and the comm in one printf exceed the 512-byte BPF stack
 * above 112 (measured on the dlopen return probe).
 */
const BPFTRACE_MAX_STRLEN = 112;

export interface GenerateRequest {
  readonly tool: ToolName;
  readonly backend: Backend;
  readonly target: Target;
  readonly options?: ToolOptionsInput;
  /** 16 lowercase hex digits; default: a fresh random nonce. */
  readonly nonce?: string;
  /**
   * The system the script runs on (D scripts only: flag values, probes): default darwin.
   * A D script for Linux runs under Oracle's DTrace for Linux; bpftrace scripts are Linux only.
   */
  readonly os?: Os;
}

export interface GenerateResult {
  /** The complete program text. */
  readonly script: string;
  /** The nonce every record of this script carries. */
  readonly nonce: string;
  /** The tracer to run. */
  readonly tracer: Backend;
  /** Arguments after the tracer's name, with SCRIPT_PATH where the script file goes. */
  readonly tracerArgs: string[];
  /** Environment the tracer needs (bpftrace string and map limits); empty for dtrace. */
  readonly env: Readonly<Record<string, string>>;
  /** Record kinds this script can print. */
  readonly kinds: RecordKind[];
  /** What the caller should know: fallbacks taken, limits applied. */
  readonly notes: string[];
}

/** A fresh per-session nonce: 64 random bits as 16 lowercase hex digits. */
export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** Metadata of one tool, or a GenerateError naming the known tools. */
function toolInfo(name: string): ToolInfo {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new GenerateError(`unknown tool ${JSON.stringify(name)}; known tools: ${TOOLS.map((x) => x.name).join(', ')}`);
  return t;
}

function parseOptions(input: ToolOptionsInput | undefined): ToolOptions {
  const r = toolOptionsSchema.safeParse(input ?? {});
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new GenerateError(`invalid options: ${msg}`, { cause: r.error });
  }
  return r.data;
}

function parseTarget(input: Target): Target {
  const r = targetSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'target'}: ${i.message}`).join('; ');
    throw new GenerateError(`invalid target: ${msg}`, { cause: r.error });
  }
  return r.data;
}

function nonceOf(nonce: string | undefined): string {
  if (nonce === undefined) return newNonce();
  if (!NONCE_PATTERN.test(nonce)) throw new GenerateError(`nonce must be 16 lowercase hex digits, got ${JSON.stringify(nonce)}`);
  return nonce;
}

// Both tracers split -c on whitespace with no shell (dtrace's -c, bpftrace's ChildProc), so
// a word holding whitespace cannot be passed through intact: refuse it rather than run something else.
function commandString(command: readonly string[]): string {
  command.forEach((word, i) => {
    assertNoControl(`command word ${i + 1}`, word);
    if (word === '' || /\s/.test(word)) {
      throw new GenerateError(
        `command word ${i + 1} (${JSON.stringify(word)}) is empty or contains whitespace: the tracer splits -c on whitespace without a shell; wrap the command in a script instead`,
      );
    }
  });
  return command.join(' ');
}

interface Ctx {
  readonly tool: string;
  readonly backend: Backend;
  readonly target: Target;
  readonly options: ToolOptions;
  readonly nonce: string;
  readonly strsize: number;
  readonly name: string;
  readonly os: Os;
  readonly notes: string[];
}

/** Trailer records the fragments print: the value of LT_TRAILERS, which trailer-end prints last. */
function trailerCount(texts: readonly string[]): number {
  let n = 0;
  for (const t of texts) n += t.split('\\ttrailer\\t').length - 1;
  return n;
}

function dtracePrologue(c: Ctx, dynvarsize: string | undefined, trailers: number): string {
  const o = c.options;
  const pragmas = ['quiet', `strsize=${c.strsize}`, `switchrate=${o.switchrate ?? '10hz'}`];
  if (o.bufsize) pragmas.push(`bufsize=${o.bufsize}`);
  if (o.dynvarsize ?? dynvarsize) pragmas.push(`dynvarsize=${o.dynvarsize ?? dynvarsize}`);
  // temporal exists from dtrace-284 on (docs/platforms/macos.md §4): opt-in, never assumed.
  // Oracle's DTrace for Linux has no such option (docs/platforms/linux.md).
  if (o.temporal && c.os === 'darwin') pragmas.push('temporal');
  const consts: [string, 'int' | 'string', string][] = [
    ['LT_NONCE', 'string', stringLiteral('nonce', c.nonce)],
    ['LT_TOOL', 'string', stringLiteral('tool', c.tool)],
    ['LT_OS', 'string', stringLiteral('os', c.os)],
    ['LT_ALL', 'int', c.target.kind === 'all' ? '1' : '0'],
    ['LT_NAME', 'string', stringLiteral('process name', c.name)],
    ['LT_UID', 'int', intLiteral('uid', o.uid ?? -1)],
    ['LT_STRSIZE', 'int', intLiteral('strsize', c.strsize)],
    ['LT_USTACK', 'int', o.ustack ? '1' : '0'],
    ['LT_UNFILTERED', 'int', o.unfiltered ? '1' : '0'],
    ['LT_DURATION', 'int', intLiteral('duration', o.duration ?? 0)],
    ['LT_SAMPLE_LIMIT', 'int', intLiteral('sampleLimit', o.sampleLimit)],
    ['LT_TRAILERS', 'int', intLiteral('trailers', trailers)],
    ['LT_SELF_PID', 'int', intLiteral('selfPid', o.selfPid ?? 0)],
    // $pid is the dtrace consumer itself; LT_SELF_PID the loadtrace process, whose children are the tracer or sudo.
    ['LT_NOT_SELF', 'int', selfFilter(c) ? '(pid != $pid && (LT_SELF_PID == 0 || (pid != LT_SELF_PID && ppid != LT_SELF_PID)))' : '1'],
  ];
  return [
    ...pragmas.map((p) => `#pragma D option ${p}`),
    '',
    '/* Prologue: options validated by loadtrace, as typed constants. LT_UID -1 = any uid. */',
    ...consts.map(([n, t, v]) => `inline ${t} ${n} = ${v};`),
  ].join('\n');
}

/**
 * System-wide and by-name scripts leave loadtrace itself out (LT_NOT_SELF), and the tracer it
 * runs: a capture would otherwise trace its own JIT and memory. -p and -c follow only their target.
 */
function selfFilter(c: Ctx): boolean {
  return c.target.kind === 'all' || c.target.kind === 'name';
}

function bpftracePrologue(c: Ctx, trailers: number): string {
  const o = c.options;
  const pid = c.target.kind === 'pid' ? intLiteral('pid', c.target.pid) : c.target.kind === 'command' ? 'cpid' : '0';
  const defs: [string, string][] = [
    ['LT_NONCE', stringLiteral('nonce', c.nonce)],
    ['LT_TOOL', stringLiteral('tool', c.tool)],
    ['LT_ALL', c.target.kind === 'all' ? '1' : '0'],
    ['LT_NAME', stringLiteral('process name', c.name)],
    ['LT_PID', pid],
    ['LT_UID', intLiteral('uid', o.uid ?? -1)],
    ['LT_STRSIZE', intLiteral('strsize', c.strsize)],
    ['LT_USTACK', o.ustack ? '1' : '0'],
    ['LT_UNFILTERED', o.unfiltered ? '1' : '0'],
    ['LT_DURATION', intLiteral('duration', o.duration ?? 0)],
    ['LT_SAMPLE_LIMIT', intLiteral('sampleLimit', o.sampleLimit)],
    ['LT_TRAILERS', intLiteral('trailers', trailers)],
    ['LT_SELF_PID', intLiteral('selfPid', o.selfPid ?? 0)],
    [
      'LT_NOT_SELF',
      selfFilter(c)
        ? '(LT_SELF_PID == 0 || (pid != LT_SELF_PID && curtask->real_parent->tgid != LT_SELF_PID && curtask->real_parent->real_parent->tgid != LT_SELF_PID))'
        : '1',
    ],
  ];
  return [
    '// Prologue: options validated by loadtrace, as typed constants. LT_UID -1 = any uid;',
    '// LT_PID is the -p pid, or cpid (the -c child); LT_NOT_SELF leaves loadtrace (LT_SELF_PID, 0 = not',
    '// given) and the processes it started (the tracer, also under sudo) out of system-wide and -n traces.',
    ...defs.map(([n, v]) => `#define ${n} ${v}`),
  ].join('\n');
}

function usage(tool: string, backend: Backend, target: Target): string[] {
  const gen = `loadtrace generate ${tool}${backend === 'bpftrace' ? ' --backend bpftrace' : ''} [-p PID | -c CMD | -n NAME] [options]`;
  if (backend === 'dtrace') {
    const run =
      target.kind === 'pid' || target.kind === 'command'
        ? [`dtrace -q -Z -s ${tool}.d -p PID          # one process`, `dtrace -q -Z -s ${tool}.d -c 'CMD ARGS'   # a command`]
        : [`dtrace -q -Z -s ${tool}.d                 # ${target.kind === 'all' ? 'every process' : 'processes by name'}`];
    return [...run, `${gen}   # any target`];
  }
  const run =
    target.kind === 'pid'
      ? [`bpftrace -p ${target.pid} ${tool}.bt           # this process and its children`]
      : target.kind === 'command'
        ? [`bpftrace -c 'CMD ARGS' ${tool}.bt    # a command and its children`]
        : [`bpftrace ${tool}.bt                  # ${target.kind === 'all' ? 'every process' : 'processes by name'}`];
  return [...run, `${gen}   # any target`];
}

function assemble(
  c: Ctx,
  fragments: readonly string[],
  info: { summary: string; overhead: string; caveats: readonly string[]; seeAlso: string; dynvarsize?: string },
  slots: { hz: number; libc?: string },
): { script: string; kinds: RecordKind[] } {
  const kinds = printedKinds(fragments, c.backend);
  const head = header({
    tool: `${c.tool}${c.backend === 'dtrace' ? '.d' : '.bt'}`,
    summary: info.summary,
    usage: usage(c.tool, c.backend, c.target),
    kinds,
    overhead: info.overhead,
    caveats: info.caveats,
    seeAlso: info.seeAlso,
  });
  const texts = fragments.map((f) => fillSlots(readFragment(f, c.backend, c.os), slots).trimEnd());
  const trailers = trailerCount(fragments.map((f, i) => (f === 'trailer-end' ? '' : texts[i]!)));
  const prologue = c.backend === 'dtrace' ? dtracePrologue(c, info.dynvarsize, trailers) : bpftracePrologue(c, trailers);
  // D: the template fragments the texts use are written out (dtemplates.ts).
  if (c.backend === 'dtrace') return { script: `${[head, prologue, ...expandDTemplates(texts, c.os)].join('\n\n')}\n`, kinds };
  // bpftrace: #define lines stay in the preamble, then one BEGIN, the clauses (one per probe
  // list: mergeProbeClauses), one END.
  const preamble = texts.filter((t) => /^(\/\/[^\n]*\n)*#define /.test(t));
  const rest = texts.filter((t) => !preamble.includes(t));
  const merged = mergeSpecialProbes(rest);
  const clear = bpftraceMapClear(rest.join('\n'));
  const end = merged.end ? merged.end.replace(/\n\}$/, clear ? `\n\n${clear}\n}` : '\n}') : clear ? `END\n{\n${clear}\n}` : '';
  const parts = [head, prologue, ...preamble, merged.begin, ...mergeProbeClauses(merged.body), end].filter((p) => p !== '');
  return { script: `${parts.join('\n\n')}\n`, kinds };
}

function prepare(tool: string, req: { backend: Backend; target: Target; options?: ToolOptionsInput; nonce?: string; os?: Os }): Ctx {
  if (req.backend !== 'dtrace' && req.backend !== 'bpftrace') {
    throw new GenerateError(`unknown backend ${JSON.stringify(req.backend)}; use dtrace or bpftrace`);
  }
  const os = req.os ?? (req.backend === 'dtrace' ? 'darwin' : 'linux');
  if (os !== 'darwin' && os !== 'linux') throw new GenerateError(`unknown os ${JSON.stringify(os)}; use darwin or linux`);
  if (req.backend === 'bpftrace' && os !== 'linux') throw new GenerateError('bpftrace scripts run on Linux only; use the dtrace backend for macOS');
  const options = parseOptions(req.options);
  const target = parseTarget(req.target);
  const notes: string[] = [];
  let strsize = options.strsize ?? (req.backend === 'dtrace' ? 256 : BPFTRACE_MAX_STRLEN);
  if (req.backend === 'bpftrace' && strsize > BPFTRACE_MAX_STRLEN) {
    throw new GenerateError(`strsize ${strsize} exceeds ${BPFTRACE_MAX_STRLEN} bytes, the most a bpftrace 0.17 script fits in the 512-byte BPF stack`);
  }
  let name = '';
  if (target.kind === 'name') {
    assertNoControl('process name', target.name);
    name = target.name;
    // bpftrace compares comm, which the kernel keeps to 15 bytes (TASK_COMM_LEN 16).
    if (req.backend === 'bpftrace' && Buffer.byteLength(name) > 15) {
      name = Buffer.from(name).subarray(0, 15).toString('latin1');
      name = Buffer.from(name, 'latin1').toString('utf8');
      notes.push(`process name cut to its first 15 bytes (${JSON.stringify(name)}): comm holds no more`);
    }
  }
  if (target.kind === 'command') commandString(target.command);
  if (req.backend === 'bpftrace') {
    for (const k of ['bufsize', 'switchrate', 'dynvarsize', 'temporal'] as const) {
      if (req.options && k in req.options && req.options[k] !== undefined && req.options[k] !== false) {
        notes.push(`option ${k} applies to DTrace only and is ignored by bpftrace`);
      }
    }
  }
  if (req.backend === 'dtrace' && os === 'linux' && options.temporal) {
    notes.push("option temporal is not an option of Oracle's DTrace for Linux and is ignored");
  }
  strsize = Math.trunc(strsize);
  return { tool, backend: req.backend, target, options, nonce: nonceOf(req.nonce), strsize, name, os, notes };
}

function targetArgs(c: Ctx): string[] {
  if (c.target.kind === 'pid') return ['-p', String(c.target.pid)];
  if (c.target.kind === 'command') return ['-c', commandString(c.target.command)];
  return [];
}

function bpftraceEnv(c: Ctx): Record<string, string> {
  // Region tracking keeps one key per live mapping; bpftrace's default of 4096 is too small system-wide.
  return { BPFTRACE_STRLEN: String(c.strsize), BPFTRACE_MAP_KEYS_MAX: '65536' };
}

/** Generate a tool's script for a backend and target. Throws GenerateError on bad input. */
export function generate(req: GenerateRequest): GenerateResult {
  const info = toolInfo(req.tool);
  const c = prepare(info.name, req);
  const o = c.options;
  const fragments = composition(info.name, c.backend, c.target, o.duration !== undefined, c.os);
  const follow = c.target.kind === 'pid' || c.target.kind === 'command';
  if (c.backend === 'dtrace' && !follow && (info.name === 'dlsnoop' || info.name === 'an0840')) {
    c.notes.push(
      'the pid provider needs a concrete pid: dlopen/dlsym are not traced; executable file mappings (mmap records) stand in for dlopen, dlsym is lost. ' +
        (c.os === 'darwin'
          ? 'Use follow mode (generateFollow) to attach a per-pid dlsnoop to each new process.'
          : "Follow mode is not available with Oracle's DTrace for Linux (docs/platforms/linux.md §5): trace a process with -p or -c for its dlopen/dlsym."),
    );
  }
  if (c.backend === 'dtrace' && c.target.kind === 'command' && fragments.includes('dl')) {
    c.notes.push("dlopen/dlsym are traced in the command's own process only (pid provider); its children are covered by the system-side clauses");
  }
  let libc: string | undefined;
  if (c.backend === 'bpftrace' && fragments.includes('dl')) {
    libc = o.libc ?? findLibc();
    if (o.libc) assertNoControl('libc', o.libc);
  }
  const { script, kinds } = assemble(c, fragments, info, { hz: o.sampleHz, ...(libc ? { libc } : {}) });
  if (c.backend === 'dtrace') {
    // Oracle's DTrace enables probes when a -c child reaches main, after the dynamic loader's
    // own mappings; evaltime=exec catches those, but then no pid-provider probe can be made
    // (libc is not mapped yet), so it is used only by scripts without one (docs/platforms/linux.md).
    const atExec = c.os === 'linux' && c.target.kind === 'command' && !fragments.includes('dl');
    if (c.os === 'linux' && c.target.kind === 'command' && fragments.includes('dl')) {
      c.notes.push("the dynamic loader's mappings before main are not seen: DTrace for Linux makes pid-provider probes only once libc is mapped");
    }
    return {
      script,
      nonce: c.nonce,
      tracer: 'dtrace',
      // -Z: pid-provider and mach_trap probes may match nothing when the script is compiled (docs/platforms/macos.md §1).
      tracerArgs: ['-q', '-Z', ...(atExec ? ['-x', 'evaltime=exec'] : []), '-s', SCRIPT_PATH, ...targetArgs(c)],
      env: {},
      kinds,
      notes: c.notes,
    };
  }
  return {
    script,
    nonce: c.nonce,
    tracer: 'bpftrace',
    tracerArgs: [...targetArgs(c), SCRIPT_PATH],
    env: bpftraceEnv(c),
    kinds,
    notes: c.notes,
  };
}

export interface FollowRequest {
  /** Which new processes to catch: by name, or all. */
  readonly target: Extract<Target, { kind: 'name' | 'all' }>;
  readonly options?: ToolOptionsInput;
  readonly nonce?: string;
  /** The system the watcher runs on; default darwin. */
  readonly os?: Os;
}

/**
 * The follow-mode watcher (DTrace only): prints an exec record for each new process it
 * stops; the caller attaches `generate({tool:'dlsnoop', target:{kind:'pid', pid}})` with
 * the same nonce, then resumes the process. Needs -w, so SIP's DTrace restriction off.
 */
export function generateFollow(req: FollowRequest): GenerateResult {
  if (req.target.kind !== 'name' && req.target.kind !== 'all') {
    throw new GenerateError('follow mode watches new processes by name or all of them; use generate() for a pid or command');
  }
  const c = prepare('follow', { backend: 'dtrace', target: req.target, options: req.options, nonce: req.nonce, os: req.os });
  if (c.name === 'dtrace') throw new GenerateError('follow mode cannot watch dtrace itself: the per-pid scripts are dtrace processes');
  const fragments = composition('follow', 'dtrace', c.target, c.options.duration !== undefined, c.os);
  const { script, kinds } = assemble(
    c,
    fragments,
    {
      summary: 'follow-mode watcher: stop each new process and print its exec record, so a per-pid dlsnoop can attach',
      overhead: 'One probe per exec; each stopped process waits until the per-pid script attaches and resumes it.',
      caveats: [
        'Destructive (raise(SIGSTOP)): dtrace needs -w, refused while SIP\'s DTrace restriction is on (docs/platforms/macos.md §6).',
        'The caller resumes every stopped process (kill -CONT) once its per-pid script runs, or when attaching fails.',
        'Processes named dtrace are never stopped.',
      ],
      seeAlso: 'dlsnoop, procsnoop, docs/tools.md',
    },
    { hz: c.options.sampleHz },
  );
  c.notes.push('attach a per-pid dlsnoop (-Z -p PID) to every exec record whose comm is not dtrace, then resume the process with SIGCONT');
  return {
    script,
    nonce: c.nonce,
    tracer: 'dtrace',
    tracerArgs: ['-q', '-w', '-Z', '-s', SCRIPT_PATH],
    env: {},
    kinds,
    notes: c.notes,
  };
}

/** The tools table for README and docs/tools.md, generated from TOOLS and the fragments each tool is made of. */
export function renderToolsTable(): string {
  const rows = TOOLS.map(
    (t) => `| \`${t.name}\` | ${t.summary} | ${toolRecords(t.name).filter((k) => k !== 'begin' && k !== 'trailer').map((k) => `\`${k}\``).join(', ')} | ${t.backends.join(', ')} |`,
  );
  return ['| Tool | What it traces | Records | Backends |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
