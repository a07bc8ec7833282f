import { classifyLocation, isDyldMemoryTemp } from './paths.ts';
import type { Rule, RuleMeta, Severity } from './types.ts';

export const meta: RuleMeta = {
  id: 'LT-007',
  name: 'writable-location-lib',
  title: 'Library loaded from a user-writable or hidden location',
  description:
    'dlopen() or dlopen_preflight() of a path under a world- or user-writable scratch directory (/tmp, /private/tmp, /var/tmp, ' +
    '/private/var/folders, /dev/shm: high) or a Downloads folder (/Users/*/Downloads, /home/*/Downloads: medium), or with any path ' +
    'component starting with a dot (hidden: medium). Fires whatever the process, unless its baseline lists the path explicitly; ' +
    'dyld\'s own in-memory temp file is left to LT-003.',
  tuning:
    'List the path in the `libraries` globs of the process\'s baseline entry (an entry that allows any library does not vouch for ' +
    'the location: e.g. python\'s `**/.venv/**` or `**/site-packages/**` must be listed), or add an exception with fields `[rule, lib.path]`.',
  severity: 'high',
  attack: ['T1620', 'T1129', 'T1564.001'],
  maturity: 'stable',
  kinds: ['dlopen', 'dlopen_preflight'],
  behaviours: ['dlopen'],
};

const BY_LOCATION: Record<string, Severity> = { temp: 'high', downloads: 'medium', hidden: 'medium' };

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    let path: string;
    let ok: boolean;
    if (e.kind === 'dlopen') {
      if (e.path === null) return null;
      path = e.path;
      ok = e.handle !== '0x0';
    } else if (e.kind === 'dlopen_preflight') {
      path = e.path;
      ok = false;
    } else {
      return null;
    }
    if (isDyldMemoryTemp(path)) return null;
    const loc = classifyLocation(path);
    if (loc === null) return null;
    const verdict = ctx.expect(meta, 'dlopen', { 'lib.path': path }, { explicit: true });
    if (verdict.expected) return null;
    return [
      {
        key: path,
        severity: ok ? BY_LOCATION[loc.where]! : 'low',
        summary: `${e.kind === 'dlopen_preflight' ? 'dlopen_preflight' : ok ? 'dlopen' : 'failed dlopen'} of ${path} (${loc.why})`,
        verdict,
        detail: { path, location: loc.where, why: loc.why },
      },
    ];
  },
};
