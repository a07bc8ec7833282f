/**
 * Test harness for live capture: the fake tracers of test/fixtures/bin on
 * PATH, a scripted step list, and runCapture with every outside dependency
 * replaced (signals, terminal, logger, the host questions).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { runCapture, type CaptureDeps, type CaptureOptions, type CaptureResult } from '../../src/capture/capture.ts';
import type { FollowGenerateFn, Generated, GenerateFn } from '../../src/capture/ports.ts';
import { createLogger } from '../../src/capture/log.ts';
import { runCommand, type CommandRunner } from '../../src/capture/run-command.ts';
import { metaForReplay, metaSchema } from '../../src/pipeline/capture-dir.ts';

export const FIXTURE_BIN = fileURLToPath(new URL('../fixtures/bin/', import.meta.url));

export interface Step {
  stdout?: string;
  stderr?: string;
  delayMs?: number;
  sigint?: 'ignore' | 'honour';
  onSigint?: Step[];
  wait?: boolean;
  dieMidLine?: string;
  signal?: string;
  exit?: number;
}

/** A record line as the scripts print it, with {{NONCE}} and {{PID}} for the fake to fill. */
export function rec(kind: string, fields: (string | number)[], ts = '1767225600000000000'): string {
  return ['LT1:{{NONCE}}', kind, ts, '{{PID}}', '1', '{{PID}}', '501', 'victim', ...fields].join('\t') + '\n';
}

/** Joins the text a step list prints on one stream before any signal (for byte-exact checks). */
export function printed(steps: Step[], stream: 'stdout' | 'stderr', onSigint = false): string {
  let out = '';
  let end = '';
  for (const s of steps) {
    if (s[stream] !== undefined) out += s[stream];
    if (stream === 'stdout' && s.dieMidLine !== undefined) out += s.dieMidLine;
    if (onSigint && s.onSigint) end = printed(s.onSigint, stream);
  }
  // END output comes last, after whatever ran before the signal.
  return out + end;
}

/** Fills the fake's placeholders the way it does. */
export function fill(text: string, nonce: string, pid: number | null, target = ''): string {
  return text.replaceAll('{{NONCE}}', nonce).replaceAll('{{PID}}', String(pid)).replaceAll('{{TARGET}}', target);
}

/**
 * A stand-in generator with the real one's conventions (src/generate): the nonce in an inline
 * constant, `{script}` in tracerArgs where the script path goes, the target flags.
 */
export const fakeGenerate: GenerateFn = (req): Generated => {
  const nonce = req.nonce ?? randomBytes(8).toString('hex');
  const target: string[] = [];
  if (req.target.kind === 'pid') target.push('-p', String(req.target.pid));
  if (req.target.kind === 'command') target.push('-c', req.target.command.join(' '));
  if (req.backend === 'dtrace') {
    const script = `#pragma D option quiet\ninline string LT_NONCE = "${nonce}";\nBEGIN { printf("LT1:%s\\tbegin\\n", LT_NONCE); }\n`;
    return { script, nonce, tracerArgs: ['-q', '-Z', '-s', '{script}', ...target], env: {}, notes: [] };
  }
  const script = `#define LT_NONCE "${nonce}"\nBEGIN { printf("LT1:%s\\tbegin\\n", LT_NONCE); }\n`;
  return { script, nonce, tracerArgs: [...target, '{script}'], env: { BPFTRACE_STRLEN: '128' }, notes: [] };
};

/** The stand-in follow watcher: -w like the real one, same nonce. */
export const fakeGenerateFollow: FollowGenerateFn = (req): Generated => {
  const nonce = req.nonce ?? randomBytes(8).toString('hex');
  const script = `#pragma D option quiet\ninline string LT_NONCE = "${nonce}";\nproc:::exec-success { stop(); }\n`;
  return { script, nonce, tracerArgs: ['-q', '-w', '-Z', '-s', '{script}'], env: {}, notes: [] };
};

/** Host questions answered without a Mac: sw_vers and csrutil canned, everything else really run. */
export const cannedRun: CommandRunner = async (file, args, o) => {
  if (file === 'sw_vers') {
    const answers: Record<string, string> = { '-productName': 'macOS', '-productVersion': '14.5', '-buildVersion': '23F79' };
    return { code: 0, stdout: `${answers[args[0] ?? ''] ?? ''}\n`, stderr: '' };
  }
  if (file === 'csrutil') {
    return {
      code: 0,
      stdout:
        'System Integrity Protection status: unknown (Custom Configuration).\n\nConfiguration:\n\tApple Internal: disabled\n\tKext Signing: enabled\n\tFilesystem Protections: enabled\n\tDebugging Restrictions: enabled\n\tDTrace Restrictions: disabled\n\tNVRAM Protections: enabled\n\tBaseSystem Verification: enabled\n\nThis is an unsupported configuration, likely to break in the future and leave your machine in an unknown state.\n',
      stderr: '',
    };
  }
  return runCommand(file, args, o);
};

export interface Harness {
  dir: string;
  signals: EventEmitter;
  stdout: PassThrough;
  stderr: PassThrough;
  stdoutText(): string;
  stderrText(): string;
  argvLog: string;
  run(options: CaptureOptions, deps?: Partial<CaptureDeps>): Promise<CaptureResult>;
}

/** Sets up a temp folder, the step list and the dependencies for one capture. */
export function harness(steps: Step[], env: Record<string, string> = {}): Harness {
  const base = mkdtempSync(join(tmpdir(), 'loadtrace-capture-'));
  const stepsFile = join(base, 'steps.json');
  writeFileSync(stepsFile, JSON.stringify(steps));
  const argvLog = join(base, 'argv.jsonl');
  const signals = new EventEmitter();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const fullEnv = {
    ...process.env,
    PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH ?? ''}`,
    FAKE_TRACER_STEPS: stepsFile,
    FAKE_TRACER_ARGV: argvLog,
    ...env,
  };
  delete (fullEnv as Record<string, string | undefined>).LOADTRACE_DTRACE;
  delete (fullEnv as Record<string, string | undefined>).LOADTRACE_BPFTRACE;
  return {
    dir: join(base, 'cap'),
    signals,
    stdout,
    stderr,
    argvLog,
    stdoutText: () => out,
    stderrText: () => err,
    run: (options, deps = {}) =>
      runCapture(
        { out: join(base, 'cap'), follow: 'off', ...options },
        {
          generate: fakeGenerate,
          generateFollow: fakeGenerateFollow,
          analysis: null,
          platform: 'darwin',
          isRoot: true,
          env: fullEnv,
          cwd: base,
          stdout,
          stderr,
          stderrIsTTY: false,
          stdinIsTTY: false,
          logger: createLogger('debug', { tty: false, stream: stderr }),
          run: cannedRun,
          signals,
          now: () => new Date(),
          // The fake tracer traces no real process: any -p pid is taken as alive unless a test says otherwise.
          pidExists: () => true,
          ...deps,
        },
      ),
  };
}

/** Resolves once a file holds at least `bytes` bytes (the tracer has printed that far). */
export async function waitForBytes(path: string, bytes: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let size = 0;
    try {
      size = readFileSync(path).length;
    } catch {
      // Not created yet.
    }
    if (size >= bytes) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${bytes} bytes in ${path} (have ${size})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A capture's meta.json, which must be what the one schema describes, and what replay reads of it. */
export function readMeta(dir: string): Record<string, any> {
  const raw = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  for (const [name, schema] of [['metaSchema', metaSchema], ['metaForReplay', metaForReplay]] as const) {
    const r = schema.safeParse(raw);
    if (!r.success) throw new Error(`${dir}/meta.json does not match ${name}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return raw;
}

/** Resolves once a file contains `text`. */
export async function waitForText(path: string, text: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let content = '';
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      // Not created yet.
    }
    if (content.includes(text)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${JSON.stringify(text)} in ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
