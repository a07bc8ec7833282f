import { PROT_EXEC, PROT_WRITE, protString } from '../protocol/flags.ts';
import type { RegionSnapshot } from '../state/region-map.ts';
import { hex, type Candidate, type Rule, type RuleContext, type RuleMeta } from './types.ts';

export const meta: RuleMeta = {
  id: 'LT-008',
  name: 'double-mapping',
  title: 'Writable and executable views of the same memory',
  description:
    'One memory object mapped twice at once, one view writable and another executable: code written through the first runs ' +
    'through the second, and no single mapping is ever writable and executable, so W^X checks (LT-004, LT-005) see nothing. ' +
    'On Linux the object is a memfd (memfd_create, then two mmaps of its fd); the views are told apart by the memfd record ' +
    'that made the object, so a view mapped from a dup()ed fd, from /proc/self/fd or from a shm_open file is not linked. ' +
    'Mach aliases (mach_vm_remap) are not traced: see the tools\' CAVEATS.',
  tuning:
    'Set `jit: true` (or `wx: true`) on the baseline entry of a runtime that double-maps its code heap on purpose ' +
    '(.NET with W^X on Linux, some JavaScript engines).',
  severity: 'high',
  attack: ['T1620', 'T1055', 'T1027'],
  maturity: 'experimental',
  kinds: ['mmap', 'mprotect'],
  behaviours: ['jit', 'wx'],
};

function describe(ctx: RuleContext, r: RegionSnapshot): string {
  const name = r.fd >= 0 ? ctx.memfdName(r.fd) : null;
  return `${hex(r.start)}-${hex(r.end)} ${protString(r.prot)}${r.shared ? ' shared' : ' private'}${name !== null ? ` memfd:${name}` : ''}`;
}

/** The writable and the executable views of one object, when both exist at different addresses. */
function judge(ctx: RuleContext, object: number): Candidate | null {
  const views = ctx.views(object);
  const w = views.filter((v) => v.prot & PROT_WRITE);
  const x = views.filter((v) => v.prot & PROT_EXEC);
  const pair = w.flatMap((a) => x.filter((b) => b.start !== a.start).map((b) => [a, b] as const))[0];
  if (pair === undefined) return null;
  let verdict = ctx.expect(meta, 'jit');
  if (!verdict.expected) {
    const wx = ctx.expect(meta, 'wx');
    if (wx.expected) verdict = wx;
  }
  if (verdict.expected) return null;
  const [wv, xv] = pair;
  const name = wv.fd >= 0 ? ctx.memfdName(wv.fd) : null;
  return {
    key: `views@${hex(xv.start)}`,
    severity: 'high',
    summary: `the same ${name !== null ? `memfd "${name}"` : 'memory'} is mapped writable at ${hex(wv.start)} and executable at ${hex(xv.start)}`,
    verdict,
    behaviour: 'wx',
    region: xv,
    detail: { writable: describe(ctx, wv), executable: describe(ctx, xv), views: views.map((v) => describe(ctx, v)) },
  };
}

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    const change = ctx.change;
    if (change === null || !change.ok) return null;
    const objects = new Set<number>();
    if (e.kind === 'mmap' && change.op === 'map' && change.region !== null && change.region.object !== 0) objects.add(change.region.object);
    if (e.kind === 'mprotect' && change.op === 'protect') {
      for (const p of change.pieces) {
        const r = ctx.region(p.start);
        if (r !== null && r.object !== 0) objects.add(r.object);
      }
    }
    if (objects.size === 0) return null;
    const out: Candidate[] = [];
    for (const o of objects) {
      const c = judge(ctx, o);
      if (c !== null) out.push(c);
    }
    return out.length > 0 ? out : null;
  },
};
