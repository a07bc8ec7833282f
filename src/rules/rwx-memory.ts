import { decodeMapFlags, decodeVmFlags, decodeVmProt, MAP_FAILED, protString, type Os } from '../protocol/flags.ts';
import type { EventOf } from '../protocol/registry.ts';
import type { ProtectPiece } from '../state/region-map.ts';
import { hex, type Candidate, type Rule, type RuleContext, type RuleMeta, type Verdict } from './types.ts';

const RWX = 0x7;

export const meta: RuleMeta = {
  id: 'LT-004',
  name: 'rwx-memory',
  title: 'Writable and executable memory',
  description:
    'Memory that is writable and executable at once: mmap with PROT_READ|PROT_WRITE|PROT_EXEC, mprotect to RWX, Mach VM ' +
    'vm_map with RWX current protection or vm_protect to RWX (vm_allocate carries no protection: it starts RW). ' +
    'Anonymous or unknown memory is high, file-backed medium; a call that failed (on Apple silicon RWX without MAP_JIT fails with EACCES, ' +
    'docs/platforms/macos.md §9) is low. MAP_JIT mappings are judged separately: expected where the baseline allows JIT, ' +
    'reported at medium anywhere else.',
  tuning:
    'Set `rwx: true` on the baseline entry of a process that legitimately maps RWX memory (JITs without MAP_JIT, emulators), and ' +
    '`jit: true` for MAP_JIT users (browsers\' renderers, JavaScriptCore, node, java).',
  severity: 'high',
  attack: ['T1620', 'T1055'],
  maturity: 'stable',
  kinds: ['mmap', 'mprotect', 'vm_map', 'vm_protect'],
  behaviours: ['rwx', 'jit'],
};

function protectCandidate(
  ctx: RuleContext,
  pieces: readonly ProtectPiece[],
  addr: string,
  prot: string,
  ok: boolean,
  err: string | null,
  extra: Record<string, string | number | boolean | null | readonly string[]>,
): Candidate[] | null {
  // A piece counts as anonymous when known to be, or when we cannot tell (pre-existing).
  let anonish = pieces.length === 0;
  let jitOnly = pieces.length > 0;
  for (const p of pieces) {
    if (p.before === null || p.before.anon !== false || p.before.memfd) anonish = true;
    if (p.before === null || !p.before.jit) jitOnly = false;
  }
  const verdict: Verdict = ctx.expect(meta, 'rwx');
  if (verdict.expected) return null;
  if (jitOnly) {
    const j = ctx.expect(meta, 'jit');
    if (j.expected) return null;
  }
  const unknown = pieces.some((p) => p.before === null);
  return [
    {
      key: addr,
      severity: !ok ? 'low' : anonish ? 'high' : 'medium',
      summary: `${ok ? '' : 'failed '}protection change to RWX at ${addr}${unknown ? ' (region mapped before tracing began)' : ''}`,
      verdict,
      behaviour: 'rwx',
      detail: {
        ...extra,
        prot,
        error: err,
        before: pieces.map((p) => `${hex(p.start)}-${hex(p.end)} ${p.before === null ? 'unknown' : `${protString(p.before.prot)}${p.before.anon === true ? ' anon' : p.before.anon === false ? ' file' : ''}${p.before.jit ? ' jit' : ''}`}`),
      },
    },
  ];
}

/** A candidate mmap's detail: built only for a candidate, since most mappings are neither JIT nor RWX and decoding flags allocates. */
function mmapDetail(e: EventOf<'mmap'>, ok: boolean, os: Os) {
  return {
    addr: ok ? e.ret : e.addr,
    len: e.len,
    prot: protString(e.prot),
    flags: decodeMapFlags(e.flags, os),
    fd: e.fd,
    error: ok ? null : `errno ${e.err}`,
  };
}

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    switch (e.kind) {
      case 'mmap': {
        const ok = e.ret !== MAP_FAILED;
        const region = ctx.change?.region ?? null;
        if (e.jit) {
          const verdict = ctx.expect(meta, 'jit');
          if (verdict.expected) return null;
          return [
            {
              key: ok ? e.ret : `failed-jit`,
              severity: ok ? 'medium' : 'low',
              summary: `${ok ? '' : 'failed '}MAP_JIT mapping (${protString(e.prot)}) in a process not expected to JIT`,
              verdict,
              behaviour: 'jit',
              region,
              detail: mmapDetail(e, ok, ctx.os),
            },
          ];
        }
        if ((e.prot & RWX) !== RWX) return null;
        const verdict = ctx.expect(meta, 'rwx');
        if (verdict.expected) return null;
        const anon = e.anon || ctx.memfdName(e.fd) !== null;
        return [
          {
            key: ok ? e.ret : 'failed-mmap',
            severity: !ok ? 'low' : anon ? 'high' : 'medium',
            summary: `${ok ? '' : 'failed '}${anon ? 'anonymous' : 'file-backed'} RWX mmap of ${Number.parseInt(e.len.slice(2), 16)} bytes${ok ? ` at ${e.ret}` : ''}`,
            verdict,
            behaviour: 'rwx',
            region,
            detail: mmapDetail(e, ok, ctx.os),
          },
        ];
      }
      case 'mprotect': {
        if ((e.prot & RWX) !== RWX) return null;
        const ok = e.ret === 0;
        return protectCandidate(ctx, ctx.change?.pieces ?? [], e.addr, protString(e.prot), ok, ok ? null : `errno ${e.err}`, {
          len: e.len,
        });
      }
      case 'vm_protect': {
        // With set_maximum the call changes the ceiling, not the current protection.
        if (e.setMax !== 0 || (e.prot & RWX) !== RWX) return null;
        const ok = e.kr === 0;
        return protectCandidate(ctx, ctx.change?.pieces ?? [], e.addr, protString(e.prot), ok, ok ? null : `kern_return ${e.kr}`, {
          size: e.size,
          vmProt: decodeVmProt(e.prot),
        });
      }
      case 'vm_map': {
        if ((e.prot & RWX) !== RWX) return null;
        const verdict = ctx.expect(meta, 'rwx');
        if (verdict.expected) return null;
        const ok = e.kr === 0;
        return [
          {
            key: ok ? e.addr : 'failed-vm_map',
            severity: ok ? 'high' : 'low',
            summary: `${ok ? '' : 'failed '}vm_map of RWX memory${ok ? ` at ${e.addr}` : ''}`,
            verdict,
            behaviour: 'rwx',
            region: ctx.change?.region ?? null,
            detail: { addr: e.addr, size: e.size, vmProt: decodeVmProt(e.prot), flags: decodeVmFlags(e.flags), kr: e.kr },
          },
        ];
      }
      default:
        return null;
    }
  },
};
