/**
 * Running bpftrace for real: prerequisites (root, bpftrace, gcc, tracefs) and one traced
 * run of a generated script against a command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCRIPT_PATH, type GenerateResult } from '../../../src/generate/index.ts';

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why live tests cannot run here, or null when they can. Mounts tracefs when root and absent. */
export function liveBlocker(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (!which('bpftrace')) return 'bpftrace not installed';
  if (!which('gcc')) return 'gcc not installed';
  if (!existsSync('/sys/kernel/tracing/events')) {
    try {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
    } catch {
      return 'tracefs not mounted and mounting it failed';
    }
  }
  return null;
}

/** Compile a C file into a fresh temp dir; returns the executable's path. */
export function compile(source: string, name = 'victim'): string {
  const dir = mkdtempSync(join(tmpdir(), 'lt-gen-'));
  const exe = join(dir, name);
  execFileSync('gcc', ['-O0', '-o', exe, source, '-ldl'], { stdio: 'pipe' });
  return exe;
}

export interface LiveRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

/** Write the script, run bpftrace with the generated arguments and environment, wait for it to end. */
export function runBpftrace(r: GenerateResult, timeoutMs = 45_000): LiveRun {
  const dir = mkdtempSync(join(tmpdir(), 'lt-script-'));
  const script = join(dir, 'tool.bt');
  writeFileSync(script, r.script);
  const args = r.tracerArgs.map((a) => (a === SCRIPT_PATH ? script : a));
  const res = spawnSync('bpftrace', args, {
    env: { ...process.env, ...r.env },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGINT',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: res.stdout ?? '', stderr: res.stderr ?? '', status: res.status };
}
