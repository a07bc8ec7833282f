import { describe, expect, it } from 'vitest';
import { allCases } from './helpers/cases.ts';
import { checkD } from './helpers/dcheck.ts';

const dCases = allCases().filter((c) => c.backend === 'dtrace');

describe('generated D scripts are structurally sound', () => {
  it.each(dCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const r = checkD(c.result.script, { allowDestructive: c.tool === 'follow' });
    expect(r.problems).toEqual([]);
    expect(r.clauses.length).toBeGreaterThan(2);
    expect(c.result.script).toMatch(/^#pragma D option quiet$/m);
  });

  it('only the follow watcher holds a destructive action, and asks for -w', () => {
    for (const c of dCases) {
      const destructive = /\b(stop|system|raise|copyout|copyoutstr|panic|breakpoint|chill)\s*\(/.test(c.result.script);
      expect(destructive).toBe(c.tool === 'follow');
      expect(c.result.tracerArgs.includes('-w')).toBe(c.tool === 'follow');
    }
  });

  it('pid-provider probes appear only when dtrace gets a concrete pid', () => {
    for (const c of dCases) {
      const hasPid = /^pid\$target::/m.test(c.result.script);
      const concrete = c.mode === 'pid' || c.mode === 'command';
      if (c.tool === 'dlsnoop' || c.tool === 'an0840') expect(hasPid).toBe(concrete);
      else expect(hasPid).toBe(false);
    }
  });
});

describe('the structural check catches what it should', () => {
  const base = dCases.find((c) => c.id === 'rwxsnoop-pid.d')!.result.script;
  it.each([
    ['an unbalanced brace', base.replace('{\n\tlt_follow[$target] = 1;', '{{\n\tlt_follow[$target] = 1;'), 'unclosed'],
    ['an unknown provider', base.replace('syscall::mmap:entry', 'fbt::mmap:entry'), 'unknown probe description'],
    ['an unknown pragma', base.replace('#pragma D option quiet', '#pragma D option destructive'), 'unknown option'],
    ['a variable never assigned', base.replaceAll('lt_tracked++;', 'lt_trackd++;'), 'lt_tracked is read but never assigned'],
    ['a clause-local read before assignment', base.replace('this->prev = self->lt_mp_prev;', ''), 'this->prev read before'],
    ['a clause-local left from another firing', base.replace('\tthis->rc = 0;\n', ''), 'this->rc in a predicate'],
    ['a clause-local set only under a predicate', base.replace('\tthis->whole = 0;\n', ''), 'this->whole read before'],
    ['a clause-local typed after its first use', base.replace('this int whole;\n', '') + '\nthis int whole;\n', 'this->whole is declared after a clause that uses it'],
    ['an undeclared constant', base.replace('inline int LT_USTACK = 0;', ''), 'LT_USTACK is not declared'],
    ['a destructive action', base.replace('lt_tracked++;', 'lt_tracked++;\n\tsystem("id");'), 'destructive action'],
  ])('%s', (_what, script, message) => {
    expect(checkD(script).problems.join('\n')).toContain(message);
  });
});
