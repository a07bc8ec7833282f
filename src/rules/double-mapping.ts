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
    'On Linux the object is a memfd (memfd_create, then two mmaps of its fd) or a POSIX shared-memory object (shm_open, ' +
    'an openat of /dev/shm/NAME: every view of one name is one object, through one fd or several), followed through ' +
    'dup, dup3 and fcntl(F_DUPFD) (and dup2 under DTrace); a view mapped from /proc/self/fd is not linked. On macOS a mach_vm_remap or vm_remap (and their _new forms) with copy ' +
    'FALSE in the process itself makes the source and the new view one object; these are traced with the pid provider, ' +
    'for -p and -c targets only (see the tools\' CAVEATS).',
  tuning:
    'Set `jit: true` (or `wx: true`) on the baseline entry of a runtime that double-maps its code heap on purpose ' +
    '(.NET with W^X on Linux, some JavaScript engines).',
  severity: 'high',
  attack: ['T1620', 'T1055', 'T1027'],
  maturity: 'experimental',
  kinds: ['mmap', 'mprotect', 'vm_protect', 'vm_remap'],
  behaviours: ['jit', 'wx'],
};

function describe(ctx: RuleContext, r: RegionSnapshot): string {
  const name = r.fd >= 0 ? ctx.memfdName(r.fd) : null;
  const other = name === null ? ctx.objectName(r.object) : null;
  return `${hex(r.start)}-${hex(r.end)} ${protString(r.prot)}${r.shared ? ' shared' : ' private'}${name !== null ? ` memfd:${name}` : other !== null ? ` ${other}` : ''}`;
}

/** What the object is, for the summary: a memfd's name, an shm path, or the Mach call that made the alias. */
function objectLabel(ctx: RuleContext, v: RegionSnapshot): string {
  const name = v.fd >= 0 ? ctx.memfdName(v.fd) : null;
  if (name !== null) return `memfd "${name}"`;
  const other = ctx.objectName(v.object);
  if (other === null) return 'memory';
  return other.startsWith('shm:') ? `shared-memory object "${other.slice(4)}"` : `memory (aliased by ${other})`;
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
  return {
    key: `views@${hex(xv.start)}`,
    severity: 'high',
    summary: `the same ${objectLabel(ctx, wv)} is mapped writable at ${hex(wv.start)} and executable at ${hex(xv.start)}`,
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
    // Most changes touch no shared object: the set is made only for one that does.
    let objects: Set<number> | null = null;
    if ((e.kind === 'mmap' || e.kind === 'vm_remap') && change.op === 'map' && change.region !== null && change.region.object !== 0) {
      objects = new Set([change.region.object]);
    }
    if ((e.kind === 'mprotect' || e.kind === 'vm_protect') && change.op === 'protect') {
      for (const p of change.pieces) {
        const r = ctx.region(p.start);
        if (r !== null && r.object !== 0) (objects ??= new Set()).add(r.object);
      }
    }
    if (objects === null) return null;
    const out: Candidate[] = [];
    for (const o of objects) {
      const c = judge(ctx, o);
      if (c !== null) out.push(c);
    }
    return out.length > 0 ? out : null;
  },
};
