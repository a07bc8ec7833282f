import { describe, expect, it } from 'vitest';
import type { Baseline } from '../../src/baseline/schema.ts';
import { runEngine } from '../../src/engine/index.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { classifyLocation, imageMagic, isFdExecPath, isSensitiveSymbol } from '../../src/rules/index.ts';
import { ev, signature } from './helpers.ts';

const EMPTY: Baseline = { version: 1, entries: [] };
const allow = (extra: Record<string, unknown>): Baseline => ({
  version: 1,
  entries: [{ match: { name: 'proc' }, note: 'test', ...extra }],
});

interface Case {
  name: string;
  events: TraceEvent[];
  baseline?: Baseline;
  os?: 'darwin' | 'linux';
  expect: string[];
}

const MAP_FAILED = '0xffffffffffffffff';
const D_ANON = 0x41002;
const D_JIT = 0x41802;

function table(rule: string, cases: Case[]) {
  describe(rule, () => {
    for (const c of cases) {
      it(c.name, () => {
        const r = runEngine(c.events, [], { baseline: c.baseline ?? EMPTY, os: c.os ?? 'darwin' });
        expect(signature(r).filter((s) => !s.startsWith('LT-100'))).toEqual(c.expect);
      });
    }
  });
}

table('LT-001 atypical-loader', [
  { name: 'dlopen by a process with no entry', events: [ev('dlopen', { path: '/opt/x/libx.dylib' })], expect: ['LT-001:medium'] },
  { name: 'dlopen(NULL) is info', events: [ev('dlopen', { path: null })], expect: ['LT-001:info'] },
  { name: 'failed dlopen is low', events: [ev('dlopen', { path: '/opt/x/nope.dylib', handle: '0x0' })], expect: ['LT-001:low'] },
  {
    name: 'bare soname allowed by a soname glob',
    events: [ev('dlopen', { path: 'libm.so.6' })],
    baseline: allow({ dlopen: { allowed: true, libraries: ['/usr/**', 'libm.so.*'] } }),
    expect: [],
  },
  {
    name: 'bare soname not vouched for by path globs',
    events: [ev('dlopen', { path: 'libcrypto.so.3' })],
    baseline: allow({ dlopen: { allowed: true, libraries: ['/usr/**', 'libm.so.*'] } }),
    expect: ['LT-001:medium'],
  },
  { name: 'dlopen_preflight is low', events: [ev('dlopen_preflight', { path: '/opt/x/libx.dylib' })], expect: ['LT-001:low'] },
  { name: 'allowed: any library', events: [ev('dlopen', { path: '/opt/x/libx.dylib' })], baseline: allow({ dlopen: { allowed: true } }), expect: [] },
  {
    name: 'allowed, library outside the list',
    events: [ev('dlopen', { path: '/opt/y/liby.dylib' })],
    baseline: allow({ dlopen: { allowed: true, libraries: ['/opt/x/**'] } }),
    expect: ['LT-001:medium'],
  },
  {
    name: 'allowed, library in the list; dlopen(NULL) allowed too',
    events: [ev('dlopen', { path: '/opt/x/libx.dylib' }), ev('dlopen', { path: null })],
    baseline: allow({ dlopen: { allowed: true, libraries: ['/opt/x/**'] } }),
    expect: [],
  },
  { name: 'allowed: false', events: [ev('dlopen', { path: '/opt/x/libx.dylib' })], baseline: allow({ dlopen: { allowed: false } }), expect: ['LT-001:medium'] },
  {
    name: 'structured exception on lib.path',
    events: [ev('dlopen', { path: '/opt/x/libx.dylib' }), ev('dlopen', { path: '/opt/z/libz.dylib' })],
    baseline: {
      version: 1,
      entries: [],
      exceptions: [{ name: 'x', fields: ['rule', 'lib.path'], comps: ['=', 'startswith'], values: [['atypical-loader', '/opt/x/']] }],
    },
    expect: ['LT-001:medium'],
  },
  { name: "dyld's in-memory temp file is LT-003's", events: [ev('dlopen', { path: '/private/var/folders/a/T/NSCreateObjectFileImageFromMemory-abc' })], expect: ['LT-003:high'] },
  { name: 'repeats merge', events: [ev('dlopen', { path: '/opt/x/libx.dylib' }), ev('dlopen', { path: '/opt/x/libx.dylib' }, 5)], expect: ['LT-001:medium'] },
]);

table('LT-002 atypical-dlsym', [
  { name: 'sensitive symbol is high', events: [ev('dlsym', { symbol: 'mprotect' })], expect: ['LT-002:high'] },
  { name: 'underscored sensitive symbol is high', events: [ev('dlsym', { symbol: '_task_for_pid' })], expect: ['LT-002:high'] },
  { name: 'ordinary symbol is low', events: [ev('dlsym', { symbol: 'plugin_init' })], expect: ['LT-002:low'] },
  { name: 'allowed', events: [ev('dlsym', { symbol: 'mprotect' })], baseline: allow({ dlsym: { allowed: true } }), expect: [] },
  {
    name: 'allowed list by glob, outside it fires',
    events: [ev('dlsym', { symbol: 'napi_create' }), ev('dlsym', { symbol: 'mmap' })],
    baseline: allow({ dlsym: { allowed: true, symbols: ['napi_*'] } }),
    expect: ['LT-002:high'],
  },
]);

table('LT-003 memory-image-load', [
  { name: 'memload', events: [ev('memload', { fn: 'NSLinkModule', addr: '0x1000', size: '0x0', name: 'm', ret: '0x2000' })], expect: ['LT-003:high'] },
  {
    name: 'memload allowed',
    events: [ev('memload', { fn: 'NSLinkModule', addr: '0x1000', size: '0x0', name: 'm', ret: '0x2000' })],
    baseline: allow({ memload: true }),
    expect: [],
  },
  {
    name: 'ELF magic in anonymous memory made executable',
    os: 'linux',
    events: [ev('mmap', { len: '0x1000', prot: 5, flags: 0x22, ret: '0x7f0000000000' }), ev('bytes', { addr: '0x7f0000000000', data: '7f454c4602010100' })],
    expect: ['LT-003:high'],
  },
  {
    name: 'FAT magic (swapped) in anonymous memory',
    events: [ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' }), ev('bytes', { addr: '0x7f0000000000', data: 'bebafeca00000002' })],
    expect: ['LT-003:high'],
  },
  {
    name: 'magic in unknown memory is medium',
    events: [ev('bytes', { addr: '0x7f0000000000', data: 'feedface00000000' })],
    expect: ['LT-003:medium'],
  },
  {
    name: 'magic in a file mapping is normal',
    events: [ev('mmap', { len: '0x1000', prot: 5, flags: 0x40002, anon: false, fd: 4, ret: '0x7f0000000000' }), ev('bytes', { addr: '0x7f0000000000', data: 'cffaedfe00000000' })],
    expect: [],
  },
  { name: 'no magic', events: [ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' }), ev('bytes', { addr: '0x7f0000000000', data: '554889e5' })], expect: [] },
  {
    name: 'executable memfd mapping',
    os: 'linux',
    events: [ev('memfd', { name: 'x', fd: 5 }), ev('mmap', { len: '0x1000', prot: 5, flags: 0x1, anon: false, fd: 5, ret: '0x7f0000000000' })],
    expect: ['LT-003:high'],
  },
  {
    name: 'non-executable memfd mapping is not judged',
    os: 'linux',
    events: [ev('memfd', { name: 'x', fd: 5 }), ev('mmap', { len: '0x1000', prot: 3, flags: 0x1, anon: false, fd: 5, ret: '0x7f0000000000' })],
    expect: [],
  },
  { name: 'exec of /proc/self/fd/N', os: 'linux', events: [ev('exec', { path: '/proc/self/fd/4' })], expect: ['LT-003:high'] },
  { name: 'exec of a normal file', os: 'linux', events: [ev('exec', { path: '/usr/bin/true' })], expect: [] },
]);

table('LT-004 rwx-memory', [
  { name: 'anonymous RWX mmap', events: [ev('mmap', { len: '0x1000', prot: 7, flags: D_ANON, ret: '0x7f0000000000' })], expect: ['LT-004:high'] },
  { name: 'file-backed RWX mmap is medium', events: [ev('mmap', { len: '0x1000', prot: 7, flags: 0x40002, anon: false, fd: 3, ret: '0x7f0000000000' })], expect: ['LT-004:medium'] },
  { name: 'failed RWX mmap (EACCES) is low', events: [ev('mmap', { len: '0x1000', prot: 7, flags: D_ANON, ret: MAP_FAILED, err: 13 })], expect: ['LT-004:low'] },
  { name: 'RX mmap is not RWX', events: [ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' })], expect: [] },
  { name: 'MAP_JIT without jit in baseline', events: [ev('mmap', { len: '0x1000', prot: 7, flags: D_JIT, jit: true, ret: '0x7f0000000000' })], expect: ['LT-004:medium'] },
  { name: 'MAP_JIT with jit in baseline', events: [ev('mmap', { len: '0x1000', prot: 7, flags: D_JIT, jit: true, ret: '0x7f0000000000' })], baseline: allow({ jit: true }), expect: [] },
  { name: 'rwx allowed', events: [ev('mmap', { len: '0x1000', prot: 7, ret: '0x7f0000000000' })], baseline: allow({ rwx: true }), expect: [] },
  { name: 'mprotect to RWX', events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 7, prevProt: 3, prevFlags: 0x1002, prevAnon: true })], expect: ['LT-004:high'] },
  { name: 'vm_map RWX', events: [ev('vm_map', { addr: '0x300000000', size: '0x4000', prot: 7 })], expect: ['LT-004:high'] },
  { name: 'vm_map RW', events: [ev('vm_map', { addr: '0x300000000', size: '0x4000', prot: 3 })], expect: [] },
  {
    name: 'vm_allocate then vm_protect to RWX',
    events: [ev('vm_allocate', { addr: '0x300000000', size: '0x4000' }), ev('vm_protect', { addr: '0x300000000', size: '0x4000', prot: 7 })],
    expect: ['LT-004:high'],
  },
  { name: 'vm_protect set_maximum is not current', events: [ev('vm_protect', { addr: '0x300000000', size: '0x4000', setMax: 1, prot: 7 })], expect: [] },
]);

table('LT-005 wx-transition', [
  {
    name: 'RW (script table) -> RX',
    events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5, prevProt: 3, prevFlags: 0x1002, prevAnon: true })],
    expect: ['LT-005:high'],
  },
  {
    name: 'vm_allocate (RW) -> vm_protect RX',
    events: [ev('vm_allocate', { addr: '0x300000000', size: '0x4000' }), ev('vm_protect', { addr: '0x300000000', size: '0x4000', prot: 5 })],
    expect: ['LT-005:high'],
  },
  {
    name: 'RW -> R -> RX is still W then X (everWritable)',
    events: [
      ev('vm_allocate', { addr: '0x300000000', size: '0x4000' }),
      ev('vm_protect', { addr: '0x300000000', size: '0x4000', prot: 1 }),
      ev('vm_protect', { addr: '0x300000000', size: '0x4000', prot: 5 }),
    ],
    expect: ['LT-005:high'],
  },
  {
    name: 'RWX -> RX is unpack-then-run (and the RWX map is LT-004)',
    events: [ev('mmap', { len: '0x1000', prot: 7, ret: '0x7f0000000000' }), ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5 })],
    expect: ['LT-004:high', 'LT-005:high'],
  },
  {
    name: 'partial range: only the written part counts',
    events: [
      ev('mmap', { len: '0x3000', prot: 5, ret: '0x7f0000000000' }),
      ev('mprotect', { addr: '0x7f0000001000', len: '0x1000', prot: 3 }),
      ev('mprotect', { addr: '0x7f0000000000', len: '0x3000', prot: 5 }),
    ],
    expect: ['LT-005:high'],
  },
  { name: 'unknown pre-existing memory is not judged', events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5 })], expect: [] },
  {
    name: 'file-backed memory is not judged',
    events: [ev('mmap', { len: '0x1000', prot: 3, anon: false, fd: 3, flags: 0x40002, ret: '0x7f0000000000' }), ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5 })],
    expect: [],
  },
  { name: 'failed mprotect changes nothing', events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5, ret: -1, err: 13, prevProt: 3, prevFlags: 0x1002, prevAnon: true })], expect: [] },
  {
    name: 'wx allowed',
    events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5, prevProt: 3, prevFlags: 0x1002, prevAnon: true })],
    baseline: allow({ wx: true }),
    expect: [],
  },
]);

table('LT-006 anon-exec', [
  { name: 'sample in anonymous RX', events: [ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' }), ev('sample', { pc: '0x7f0000000010' })], expect: ['LT-006:high'] },
  {
    name: 'sample in file mapping',
    events: [ev('mmap', { len: '0x1000', prot: 5, anon: false, fd: 3, flags: 0x40002, ret: '0x7f0000000000' }), ev('sample', { pc: '0x7f0000000010' })],
    expect: [],
  },
  { name: 'sample outside with no stack', events: [ev('sample', { pc: '0x7f0000000010' })], expect: [] },
  {
    name: 'memory of unknown origin made executable, then executed, is medium',
    events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5 }, 0), ev('sample', { pc: '0x7f0000000010' }, 1)],
    expect: ['LT-006:medium'],
  },
  {
    name: 'memory of unknown origin made executable, with anonExec allowed',
    events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5 }, 0), ev('sample', { pc: '0x7f0000000010' }, 1)],
    baseline: allow({ anonExec: true }),
    expect: [],
  },
  {
    name: 'memory of unknown origin made executable, with jit allowed',
    events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 5 }, 0), ev('sample', { pc: '0x7f0000000010' }, 1)],
    baseline: allow({ jit: true }),
    expect: [],
  },
  {
    name: 'memory of unknown origin made non-executable is not judged',
    events: [ev('mprotect', { addr: '0x7f0000000000', len: '0x1000', prot: 1 }, 0), ev('sample', { pc: '0x7f0000000010' }, 1)],
    expect: [],
  },
  { name: 'sample outside, bare frame', events: [ev('sample', { pc: '0x7f0000000010', ustack: ['0x7f0000000010'] })], expect: ['LT-006:medium'] },
  { name: 'sample outside, module frame', events: [ev('sample', { pc: '0x7f0000000010', ustack: ['libfoo.dylib`f+0x10'] })], expect: [] },
  { name: 'anonExec allowed', events: [ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' }), ev('sample', { pc: '0x7f0000000010' })], baseline: allow({ anonExec: true }), expect: [] },
  {
    name: 'MAP_JIT region where jit is allowed',
    events: [ev('mmap', { len: '0x1000', prot: 7, flags: D_JIT, jit: true, ret: '0x7f0000000000' }), ev('sample', { pc: '0x7f0000000010' })],
    baseline: allow({ jit: true }),
    expect: [],
  },
  {
    name: 'after munmap the region is gone',
    events: [ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' }), ev('munmap', { addr: '0x7f0000000000', len: '0x1000' }), ev('sample', { pc: '0x7f0000000010' })],
    expect: [],
  },
]);

table('LT-007 writable-location-lib', [
  { name: '/tmp is high, and LT-001 leaves the call to LT-007', events: [ev('dlopen', { path: '/tmp/x.so' })], expect: ['LT-007:high'] },
  { name: 'failed dlopen under a hidden relative folder is one low finding', events: [ev('dlopen', { path: './.hidden/nope.so', handle: '0x0' })], expect: ['LT-007:low'] },
  {
    name: 'LT-001 still speaks when an exception silences LT-007',
    events: [ev('dlopen', { path: '/tmp/x.so' })],
    baseline: { version: 1, entries: [], exceptions: [{ name: 'tmp-ok', fields: ['rule', 'lib.path'], values: [['LT-007', '/tmp/x.so']] }] },
    expect: ['LT-001:medium'],
  },
  { name: '/dev/shm', os: 'linux', events: [ev('dlopen', { path: '/dev/shm/x.so' })], baseline: allow({ dlopen: { allowed: true } }), expect: ['LT-007:high'] },
  { name: 'Downloads', events: [ev('dlopen', { path: '/home/u/Downloads/x.so' })], baseline: allow({ dlopen: { allowed: true } }), expect: ['LT-007:medium'] },
  { name: 'hidden component', events: [ev('dlopen', { path: '/Users/u/.x/lib.dylib' })], baseline: allow({ dlopen: { allowed: true } }), expect: ['LT-007:medium'] },
  { name: 'relative ../ is not hidden', events: [ev('dlopen', { path: '../lib/x.so' })], baseline: allow({ dlopen: { allowed: true } }), expect: [] },
  { name: 'listed explicitly', events: [ev('dlopen', { path: '/tmp/x.so' })], baseline: allow({ dlopen: { allowed: true, libraries: ['/tmp/x.so'] } }), expect: [] },
  { name: 'failed load is low', events: [ev('dlopen', { path: '/tmp/x.so', handle: '0x0' })], baseline: allow({ dlopen: { allowed: true } }), expect: ['LT-007:low'] },
]);

describe('rule helpers', () => {
  it.each([
    ['/tmp/a.so', 'temp'],
    ['/private/var/folders/x/T/a.dylib', 'temp'],
    ['/Users/bob/Downloads/a.dylib', 'downloads'],
    ['/home/bob/Downloads/a.so', 'downloads'],
    ['/usr/lib/.hidden/a.so', 'hidden'],
    ['/usr/lib/a.so', null],
    ['/Users/bob/Downloadsx/a.so', null],
  ])('classifyLocation(%s) = %s', (p, where) => {
    expect(classifyLocation(p)?.where ?? null).toBe(where);
  });
  it('magics, sensitive symbols, fd exec paths', () => {
    expect(imageMagic('cffaedfe')).toMatch(/64-bit/);
    expect(imageMagic('cafebabe')).toMatch(/universal/);
    expect(imageMagic('cafe')).toBeNull();
    expect(isSensitiveSymbol('_mach_vm_protect')).toBe(true);
    expect(isSensitiveSymbol('printf')).toBe(false);
    expect(isFdExecPath('/dev/fd/3')).toBe(true);
    expect(isFdExecPath('/memfd:x (deleted)')).toBe(true);
    expect(isFdExecPath('/dev/null')).toBe(false);
  });
});
