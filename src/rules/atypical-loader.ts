import { decodeRtldMode } from '../protocol/flags.ts';
import { isDyldMemoryTemp } from './paths.ts';
import type { Candidate, Rule, RuleMeta } from './types.ts';

export const meta: RuleMeta = {
  id: 'LT-001',
  name: 'atypical-loader',
  title: 'Atypical dynamic library load',
  description:
    'dlopen() by a process whose baseline does not expect dynamic loading, or of a library outside the set its baseline expects. ' +
    'dlopen(NULL) loads nothing (it returns a handle to the main program), so it is reported at info severity only. ' +
    'A failed dlopen is still an attempt and is reported at low severity; dlopen_preflight() likewise.',
  tuning:
    'Add or extend a baseline entry for the process: `dlopen: { allowed: true }` allows any library, ' +
    '`dlopen: { allowed: true, libraries: ["/usr/lib/**", …] }` only those globs. ' +
    'For one-off cases add an exception with fields `[rule, lib.path]`. `loadtrace baseline learn` writes the entries from a clean capture.',
  severity: 'medium',
  attack: ['T1620', 'T1129'],
  maturity: 'stable',
  kinds: ['dlopen', 'dlopen_preflight'],
  behaviours: ['dlopen'],
};

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    if (e.kind === 'dlopen') {
      const path = e.path;
      // dyld's in-memory temp file is LT-003's to report.
      if (path !== null && isDyldMemoryTemp(path)) return null;
      const verdict = ctx.expect(meta, 'dlopen', path === null ? undefined : { 'lib.path': path });
      if (verdict.expected) return null;
      const loaded = e.handle !== '0x0';
      const c: Candidate = {
        key: path ?? '(NULL)',
        severity: path === null ? 'info' : loaded ? 'medium' : 'low',
        summary:
          path === null
            ? 'dlopen(NULL) (handle to the main program) by a process not expected to load code'
            : `${loaded ? '' : 'failed '}dlopen of ${path}`,
        verdict,
        detail: { path, pathTruncated: e.pathTrunc, mode: decodeRtldMode(e.mode, ctx.os), handle: e.handle, loaded },
      };
      return [c];
    }
    if (e.kind === 'dlopen_preflight') {
      if (isDyldMemoryTemp(e.path)) return null;
      const verdict = ctx.expect(meta, 'dlopen', { 'lib.path': e.path });
      if (verdict.expected) return null;
      return [
        {
          key: `preflight:${e.path}`,
          severity: 'low',
          summary: `dlopen_preflight of ${e.path}`,
          verdict,
          detail: { path: e.path, pathTruncated: e.pathTrunc, loadable: e.ret !== 0 },
        },
      ];
    }
    return null;
  },
};
