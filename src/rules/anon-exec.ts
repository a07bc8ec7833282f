import { PROT_EXEC, protString } from '../protocol/flags.ts';
import { hex, u64, type Rule, type RuleMeta } from './types.ts';

/** A stack frame the tracer could not attribute to any module prints as a bare address (docs/platforms/macos.md §8). */
const BARE_FRAME = /^(?:0x)?[0-9a-f]+$/i;

export const meta: RuleMeta = {
  id: 'LT-006',
  name: 'anon-exec',
  title: 'Execution from anonymous memory',
  description:
    'An execution sample whose program counter lies in an anonymous (or memfd-backed) executable region the trace saw created. ' +
    'A weaker variant (medium) fires when the PC lies outside every region the trace knows and the tracer itself could not name a ' +
    'module for it (the sample\'s first stack frame is a bare address): images mapped before tracing began, the main executable and ' +
    'the dyld shared cache are never seen mapped, so a PC outside known regions alone proves nothing and is only counted as a blind spot. ' +
    'A PC in memory of unknown origin (mapped before tracing began, or never tracked) that the trace saw made executable by a ' +
    'protection change is reported at medium, saying the origin is unknown: it may be a JIT\'s code space reserved before tracing.',
  tuning:
    'Set `anonExec: true` on the baseline entry of a process that runs generated code (JITs); execution inside MAP_JIT regions ' +
    'is also expected where `jit: true`, and so is execution in memory of unknown origin (it may be a JIT region made before tracing).',
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
          behaviour: 'anonExec',
          region: r,
          detail: { pc: e.pc, offset: pc - r.start },
        },
      ];
    }
    if (r !== null && r.anon === null && r.prot & PROT_EXEC) {
      // The region is in the map only because the trace saw a protection change make it executable; what it was
      // before (anonymous or a file, and whose) is unknown. A JIT may have made it before tracing began.
      const verdict = ctx.expect(meta, 'anonExec');
      if (verdict.expected) return null;
      const jit = ctx.expect(meta, 'jit');
      if (jit.expected) return null;
      return [
        {
          key: hex(r.start),
          severity: 'medium',
          summary: `executing in region ${hex(r.start)}-${hex(r.end)} of unknown origin, made ${protString(r.prot)} while traced`,
          verdict,
          behaviour: 'anonExec',
          region: r,
          detail: {
            pc: e.pc,
            offset: pc - r.start,
            origin: 'unknown: mapped before tracing began, or never tracked; made executable by a protection change the trace saw',
          },
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
        behaviour: 'anonExec',
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
