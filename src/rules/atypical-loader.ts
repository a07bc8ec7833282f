import { decodeRtldMode } from '../protocol/flags.ts';
import { isDyldMemoryTemp } from './paths.ts';
import { reportsLibrary } from './writable-location-lib.ts';
import type { Candidate, Rule, RuleMeta } from './types.ts';

export const meta: RuleMeta = {
  id: 'LT-001',
  name: 'atypical-loader',
  title: 'Atypical dynamic library load',
  description:
    'dlopen() by a process whose baseline does not expect dynamic loading, or of a library outside the set its baseline expects. ' +
    'dlopen(NULL) loads nothing (it returns a handle to the main program), so it is reported at info severity only. ' +
    'A failed dlopen is still an attempt and is reported at low severity; dlopen_preflight() likewise. ' +
    'A path without a `/` is a bare soname, resolved through the loader\'s search path: the record carries only the requested ' +
    'name, so it is judged by the baseline\'s soname globs (`libm.so.*`), never by path globs. A call LT-007 reports (a ' +
    'user-writable or hidden location) is left to it: one call, one finding.',
  tuning:
    'Add or extend a baseline entry for the process: `dlopen: { allowed: true }` allows any library, ' +
    '`dlopen: { allowed: true, libraries: ["/usr/lib/**", "libm.so.*", …] }` only those globs (a glob without `/` matches bare sonames only). ' +
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
      if (path !== null && (isDyldMemoryTemp(path) || reportsLibrary(path, ctx))) return null;
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
        behaviour: 'dlopen',
        ...(path === null ? {} : { subject: { 'lib.path': path } }),
        detail: { path, pathTruncated: e.pathTrunc, mode: decodeRtldMode(e.mode, ctx.os), handle: e.handle, loaded },
      };
      return [c];
    }
    if (e.kind === 'dlopen_preflight') {
      if (isDyldMemoryTemp(e.path) || reportsLibrary(e.path, ctx)) return null;
      const verdict = ctx.expect(meta, 'dlopen', { 'lib.path': e.path });
      if (verdict.expected) return null;
      return [
        {
          key: `preflight:${e.path}`,
          severity: 'low',
          summary: `dlopen_preflight of ${e.path}`,
          verdict,
          behaviour: 'dlopen',
          subject: { 'lib.path': e.path },
          detail: { path: e.path, pathTruncated: e.pathTrunc, loadable: e.ret !== 0 },
        },
      ];
    }
    return null;
  },
};
