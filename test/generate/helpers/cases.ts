/** Every tool x backend x target mode, with fixed inputs so the output is reproducible. */
import { TOOLS, generate, generateFollow, type Backend, type GenerateResult, type Target, type ToolName } from '../../../src/generate/index.ts';

export const NONCE = '0123456789abcdef';
export const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';

export const TARGETS: Record<string, Target> = {
  pid: { kind: 'pid', pid: 4242 },
  command: { kind: 'command', command: ['./victim', '--load'] },
  name: { kind: 'name', name: 'Preview' },
  all: { kind: 'all' },
};

export interface Case {
  readonly id: string;
  readonly tool: ToolName | 'follow';
  readonly backend: Backend;
  readonly mode: string;
  readonly result: GenerateResult;
}

/** All generated scripts, named `<tool>-<mode>.<ext>`. */
export function allCases(): Case[] {
  const out: Case[] = [];
  for (const t of TOOLS) {
    for (const backend of t.backends) {
      for (const [mode, target] of Object.entries(TARGETS)) {
        const result = generate({
          tool: t.name,
          backend,
          target,
          nonce: NONCE,
          options: backend === 'bpftrace' ? { libc: LIBC } : {},
        });
        out.push({ id: `${t.name}-${mode}.${backend === 'dtrace' ? 'd' : 'bt'}`, tool: t.name, backend, mode, result });
      }
    }
  }
  for (const mode of ['name', 'all'] as const) {
    const result = generateFollow({ target: TARGETS[mode] as Extract<Target, { kind: 'name' | 'all' }>, nonce: NONCE });
    out.push({ id: `follow-${mode}.d`, tool: 'follow', backend: 'dtrace', mode, result });
  }
  return out;
}
