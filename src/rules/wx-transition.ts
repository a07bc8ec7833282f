import { decodeVmProt, PROT_EXEC, PROT_WRITE, protString } from '../protocol/flags.ts';
import type { ProtectPiece } from '../state/region-map.ts';
import { hex, type Candidate, type Rule, type RuleContext, type RuleMeta } from './types.ts';

export const meta: RuleMeta = {
  id: 'LT-005',
  name: 'wx-transition',
  title: 'Writable memory made executable',
  description:
    'A protection change that makes anonymous memory executable after it was writable (W→X: RW → RX), or that removes write from ' +
    'memory that was writable and executable while keeping execute (W+X → X: unpack then run, as Tracee reports it). The previous ' +
    'protection comes from the region map, or from the script\'s in-kernel table of anonymous writable mappings (prevProt). ' +
    'Memory whose history is unknown (mapped before tracing began) cannot be judged and is left to the blind-spot report; ' +
    'file-backed memory is not judged (text relocations).',
  tuning:
    'Set `wx: true` on the baseline entry of a process that generates code with mprotect/vm_protect (V8 in node and Electron, ' +
    'HotSpot, LuaJIT, PyPy); MAP_JIT regions are also expected where `jit: true`.',
  severity: 'high',
  attack: ['T1620', 'T1027.002', 'T1055'],
  maturity: 'stable',
  kinds: ['mprotect', 'vm_protect'],
  behaviours: ['wx', 'jit'],
};

type Variant = 'w-then-x' | 'unpack';

function variantOf(p: ProtectPiece, prot: number): Variant | null {
  const b = p.before;
  if (b === null || (b.anon === false && !b.memfd)) return null;
  if (!(prot & PROT_EXEC) || prot & PROT_WRITE) return null;
  if (b.prot & PROT_EXEC) return b.prot & PROT_WRITE ? 'unpack' : null;
  return b.prot & PROT_WRITE || b.everWritable ? 'w-then-x' : null;
}

function judge(ctx: RuleContext, pieces: readonly ProtectPiece[], prot: number, addr: string, extra: Record<string, string | number | readonly string[]>): Candidate[] | null {
  let wtx: ProtectPiece[] | null = null;
  let unpack: ProtectPiece[] | null = null;
  let allJit = true;
  for (const p of pieces) {
    const v = variantOf(p, prot);
    if (v === null) continue;
    if (!p.before!.jit) allJit = false;
    if (v === 'w-then-x') (wtx ??= []).push(p);
    else (unpack ??= []).push(p);
  }
  if (wtx === null && unpack === null) return null;
  const verdict = ctx.expect(meta, 'wx');
  if (verdict.expected) return null;
  if (allJit && ctx.expect(meta, 'jit').expected) return null;
  const out: Candidate[] = [];
  const describe = (ps: ProtectPiece[]) =>
    ps.map((p) => `${hex(p.start)}-${hex(p.end)} ${protString(p.before!.prot)}${p.fromScript ? ' (from script table)' : ''}${p.before!.jit ? ' jit' : ''}`);
  if (wtx !== null) {
    out.push({
      key: `w-then-x@${addr}`,
      severity: 'high',
      summary: `writable anonymous memory made executable (${protString(wtx[0]!.before!.prot)} → ${protString(prot)}) at ${addr}`,
      verdict,
      behaviour: 'wx',
      detail: { ...extra, variant: 'W→X', prot: protString(prot), before: describe(wtx) },
    });
  }
  if (unpack !== null) {
    out.push({
      key: `unpack@${addr}`,
      severity: 'high',
      summary: `write removed from W+X memory, execute kept (unpack then run) at ${addr}`,
      verdict,
      behaviour: 'wx',
      detail: { ...extra, variant: 'W+X→X', prot: protString(prot), before: describe(unpack) },
    });
  }
  return out;
}

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    const change = ctx.change;
    if (change === null || !change.ok || change.op !== 'protect') return null;
    if (e.kind === 'mprotect') return judge(ctx, change.pieces, e.prot & 7, e.addr, { len: e.len });
    if (e.kind === 'vm_protect' && e.setMax === 0) {
      return judge(ctx, change.pieces, e.prot & 7, e.addr, { size: e.size, vmProt: decodeVmProt(e.prot) });
    }
    return null;
  },
};
