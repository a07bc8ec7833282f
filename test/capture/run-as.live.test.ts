/**
 * Under sudo, the traced command runs as the user who ran sudo (SUDO_UID/SUDO_GID), or as
 * --run-as USER; --run-as root keeps root. setpriv execs the command, so the traced pid is
 * the command's own and its records carry the real uid.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeLive } from '../helpers/live.ts';
import { readEvents } from '../../src/pipeline/events.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { BIN } from '../e2e/support.ts';

const ID = realpathSync('/usr/bin/id');

async function capture(args: string[], env: Record<string, string>) {
  const dir = join(mkdtempSync(join(tmpdir(), 'loadtrace-runas-')), 'cap');
  const r = spawnSync(process.execPath, [BIN, 'capture', '-c', `${ID} -u`, '--out', dir, '--format', 'jsonl', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const events: TraceEvent[] = [];
  for await (const e of readEvents(dir)) events.push(e);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  // The command's records: the exec of id and what id itself did, in the pid the tracer started.
  const exec = events.find((e) => e.kind === 'exec' && e.comm === 'id');
  expect(exec, 'exec record of id').toBeDefined();
  const own = events.filter((e) => e.pid === exec!.pid && e.comm === 'id');
  return { meta, exec: exec!, own };
}

describeLive('the traced command runs as the invoking user', () => {
  it('under sudo (SUDO_UID/SUDO_GID): the command records show that uid, meta.json says who', async () => {
    const { meta, own } = await capture([], { SUDO_UID: '65534', SUDO_GID: '65534' });
    expect(own.length).toBeGreaterThan(1);
    expect(new Set(own.map((e) => e.uid))).toEqual(new Set([65534]));
    expect(meta.target).toMatchObject({ kind: 'command', command: [ID, '-u'], runAs: { uid: 65534, gid: 65534 } });
  });

  it('--run-as USER chooses the user; setpriv execs, so the pid stays the traced one', async () => {
    const { meta, exec, own } = await capture(['--run-as', 'nobody'], {});
    expect(new Set(own.map((e) => e.uid))).toEqual(new Set([65534]));
    expect(meta.target.runAs.user).toBe('nobody');
    // setpriv ran first in the same pid, still as root.
    expect(exec.pid).toBe(own[0]!.pid);
  });

  it('--run-as root keeps root even under sudo', async () => {
    const { meta, own } = await capture(['--run-as', 'root'], { SUDO_UID: '65534', SUDO_GID: '65534' });
    expect(new Set(own.map((e) => e.uid))).toEqual(new Set([0]));
    expect(meta.target.runAs).toBeUndefined();
  });
});
