import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FollowGenerateFn, GenerateFn } from '../../src/capture/ports.ts';
import { generate, generateFollow } from '../../src/generate/index.ts';
import { fill, harness, printed, readMeta, rec, type Step } from './helpers.ts';

// The real generator behind the fake tracers: the fake finds the nonce in the real script text.
const realGenerate = generate as unknown as GenerateFn;
const realFollow = generateFollow as unknown as FollowGenerateFn;

describe('capture with the real script generator', () => {
  it('dtrace -p: runs the generated argv, the fake prints records with the script nonce', async () => {
    const steps: Step[] = [{ stdout: rec('begin', ['dlsnoop', 'darwin', 'dtrace']) }, { stderr: 'dtrace: pid {{TARGET}} has exited\n' }, { exit: 0 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'dlsnoop', target: { kind: 'pid', pid: 4242 } }, { generate: realGenerate, generateFollow: realFollow });
    expect(res.ending).toBe('target-exited');
    const meta = readMeta(h.dir);
    const script = join(h.dir, 'script.d');
    expect(readFileSync(script, 'utf8')).toContain(`inline string LT_NONCE = "${meta.nonce}";`);
    expect(meta.tracer.argv.slice(1)).toEqual(['-q', '-Z', '-s', script, '-p', '4242']);
    expect(readFileSync(join(h.dir, 'stdout.raw'), 'utf8')).toBe(fill(printed(steps, 'stdout'), meta.nonce, meta.tracer.pid, '4242'));
  });

  it('bpftrace: the script path takes the {script} place and the generator env reaches the tracer', async () => {
    const steps: Step[] = [{ stdout: rec('begin', ['an0840', 'linux', 'bpftrace']) }, { exit: 0 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840', backend: 'bpftrace', target: { kind: 'command', command: ['/bin/true'] } }, {
      generate: realGenerate,
      generateFollow: realFollow,
      platform: 'linux',
    });
    expect(res.ending).toBe('completed');
    const meta = readMeta(h.dir);
    const script = join(h.dir, 'script.bt');
    expect(meta.tracer.argv.slice(1)).toEqual(['-c', '/bin/true', script]);
    const logged = JSON.parse(readFileSync(h.argvLog, 'utf8').trim().split('\n').pop()!);
    const wanted = generate({ tool: 'an0840', backend: 'bpftrace', target: { kind: 'command', command: ['/bin/true'] } }).env;
    expect(Object.keys(wanted).length).toBeGreaterThan(0);
    expect(logged.env).toEqual(wanted);
    expect(readFileSync(join(h.dir, 'stdout.raw'), 'utf8')).toContain(`LT1:${meta.nonce}\tbegin\t`);
    expect(meta.sip.state).toBe('n/a');
  });

  it('dtrace system-wide: follow mode runs the tool, the watcher (-w) and shares one nonce', async () => {
    // Tool and watcher both run these steps: a begin record, then the tool ends after a while.
    const steps: Step[] = [{ stdout: rec('begin', ['an0840', 'darwin', 'dtrace']) }, { delayMs: 400, exit: 0 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840', follow: 'auto' }, { generate: realGenerate, generateFollow: realFollow });
    expect(res.ending).toBe('completed');
    const meta = readMeta(h.dir);
    expect(meta.follow.watcher.argv).toEqual(expect.arrayContaining(['-q', '-w', '-Z', '-s', join(h.dir, 'follow.d')]));
    expect(readFileSync(join(h.dir, 'follow.d'), 'utf8')).toContain(`inline string LT_NONCE = "${meta.nonce}";`);
    // Both the tool and the watcher printed a begin record with the session nonce (the fake read it from each script).
    const begins = readFileSync(join(h.dir, 'stdout.raw'), 'utf8').split('\n').filter((l) => l.startsWith(`LT1:${meta.nonce}\tbegin\t`));
    expect(begins).toHaveLength(2);
  });
});
