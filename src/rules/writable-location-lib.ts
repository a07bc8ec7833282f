import { classifyLocation, isDyldMemoryTemp } from './paths.ts';
import type { Rule, RuleContext, RuleMeta, Severity } from './types.ts';

export const meta: RuleMeta = {
  id: 'LT-007',
  name: 'writable-location-lib',
  title: 'Library loaded from a user-writable or hidden location',
  description:
    'dlopen() or dlopen_preflight() of a path under a world- or user-writable scratch directory (/tmp, /private/tmp, /var/tmp, ' +
    '/private/var/folders, /dev/shm: high) or a Downloads folder (/Users/*/Downloads, /home/*/Downloads: medium), or with any path ' +
    'component starting with a dot (hidden: medium). Fires whatever the process, unless its baseline lists the path explicitly; ' +
    'dyld\'s own in-memory temp file is left to LT-003. A failed call is reported at low severity. A call this rule reports is not ' +
    'also reported by LT-001: one call, one finding.',
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

/**
 * Whether this rule reports a dlopen of `path` by the current process. LT-001 then leaves the call to it: one call
 * is one finding, and this one says more (where the library lies) at a severity at least LT-001's.
 */
export function reportsLibrary(path: string, ctx: RuleContext): boolean {
  return locationOf(path) !== null && !ctx.expect(meta, 'dlopen', { 'lib.path': path }, { explicit: true }).expected;
}

function locationOf(path: string): ReturnType<typeof classifyLocation> {
  // dyld's in-memory temp file is LT-003's.
  return isDyldMemoryTemp(path) ? null : classifyLocation(path);
}

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
    const loc = locationOf(path);
    if (loc === null) return null;
    const verdict = ctx.expect(meta, 'dlopen', { 'lib.path': path }, { explicit: true });
    if (verdict.expected) return null;
    return [
      {
        key: path,
        severity: ok ? BY_LOCATION[loc.where]! : 'low',
        summary: `${e.kind === 'dlopen_preflight' ? 'dlopen_preflight' : ok ? 'dlopen' : 'failed dlopen'} of ${path} (${loc.why})`,
        verdict,
        behaviour: 'dlopen',
        subject: { 'lib.path': path },
        detail: { path, location: loc.where, why: loc.why },
      },
    ];
  },
};
