import { PROT_EXEC, protString } from '../protocol/flags.ts';
import { hex, u64, type Rule, type RuleMeta } from './types.ts';

/** A stack frame the tracer could not attribute to any module prints as a bare address (reference macos-dtrace.md §8). */
const BARE_FRAME = /^(?:0x)?[0-9a-f]+$/i;

export const meta: RuleMeta = {
  id: 'LT-006',
  name: 'anon-exec',
  title: 'Execution from anonymous memory',
  description:
    'An execution sample whose program counter lies in an anonymous (or memfd-backed) executable region the trace saw created. ' +
    'A weaker variant (medium) fires when the PC lies outside every region the trace knows and the tracer itself could not name a ' +
    'module for it (the sample\'s first stack frame is a bare address): images mapped before tracing began, the main executable and ' +
    'the dyld shared cache are never seen mapped, so a PC outside known regions alone proves nothing and is only counted as a blind spot.',
  tuning:
    'Set `anonExec: true` on the baseline entry of a process that runs generated code (JITs); execution inside MAP_JIT regions ' +
    'is also expected where `jit: true`.',
  severity: 'high',
  attack: ['T1620', 'T1055'],
  maturity: 'experimental',
  kinds: ['sample'],
  behaviours: ['anonExec', 'jit'],
};

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    if (e.kind !== 'sample') return null;
    const pc = u64(e.pc);
    if (!(pc > 0)) return null;
    const r = ctx.region(pc);
    if (r !== null && r.anon !== null) {
      if (r.anon === false && !r.memfd) return null;
      // Our map may lag a change we did not see; judge only what we know is executable.
      if (!(r.prot & PROT_EXEC)) return null;
      const verdict = ctx.expect(meta, 'anonExec');
      if (verdict.expected) return null;
      if (r.jit && ctx.expect(meta, 'jit').expected) return null;
      return [
        {
          key: hex(r.start),
          severity: 'high',
          summary: `executing in ${r.memfd ? 'memfd-backed' : 'anonymous'} ${protString(r.prot)} region ${hex(r.start)}-${hex(r.end)}${r.jit ? ' (MAP_JIT)' : ''}`,
          verdict,
          region: r,
          detail: { pc: e.pc, offset: pc - r.start },
        },
      ];
    }
    const frame = e.ustack?.[0]?.trim();
    if (frame === undefined || !BARE_FRAME.test(frame)) return null;
    const verdict = ctx.expect(meta, 'anonExec');
    if (verdict.expected) return null;
    return [
      {
        key: 'unattributed',
        severity: 'medium',
        summary: `executing at ${e.pc}, outside every region the trace saw mapped, and the tracer names no module for it`,
        verdict,
        region: r,
        detail: {
          pc: e.pc,
          frame,
          note:
            r !== null
              ? 'the region holding this PC existed before tracing began; its origin is unknown'
              : 'weak: pre-existing images are not tracked; the tracer also prints bare addresses when the process exited or could not be read',
        },
      },
    ];
  },
};
