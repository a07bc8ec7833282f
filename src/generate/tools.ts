/**
 * Tool metadata and composition: which fragments of dtrace/fragments/ make each tool,
 * per backend and target mode. Fragments are concatenated in order; clause order is
 * program order in D and bpftrace, so saving, printing, tracking and clearing of a
 * probe's state follow each other as listed.
 */
import type { Os } from '../protocol/flags.ts';
import { RECORD_KINDS, type RecordKind } from '../protocol/registry.ts';
import type { Backend, Target } from './options.ts';

export type ToolName = 'dlsnoop' | 'rwxsnoop' | 'anonexec' | 'procsnoop' | 'an0840';

export interface ToolInfo {
  readonly name: ToolName;
  /** One line for the tools table and `loadtrace tools`. */
  readonly summary: string;
  readonly backends: readonly Backend[];
  /** Header sections. */
  readonly overhead: string;
  readonly caveats: readonly string[];
  readonly seeAlso: string;
  /** DTrace dynamic variable space used when the caller gives none. */
  readonly dynvarsize?: string;
}

/**
 * Kinds each fragment prints; the printf check in the tests holds the fragments to this, so
 * what a tool prints (toolRecords) follows from the fragments it is made of.
 */
export const FRAGMENT_PRINTS: Readonly<Record<string, readonly RecordKind[]>> = {
  begin: ['begin'],
  dl: ['dlopen', 'dlopen_preflight', 'dlsym', 'dlclose', 'memload', 'bytes'],
  'dl.bt': ['dlopen', 'dlsym', 'dlclose'],
  'rwx-print': ['mmap', 'mprotect', 'bytes', 'vm_allocate', 'vm_protect', 'vm_map'],
  'rwx-print.bt': ['mmap', 'mprotect', 'bytes', 'memfd', 'mremap', 'shm', 'dup', 'close'],
  'rwx-track': ['munmap', 'vm_deallocate'],
  'rwx-track.bt': ['munmap'],
  memfd: ['memfd', 'dup', 'close'],
  shm: ['shm'],
  remap: ['vm_remap'],
  mremap: ['mremap'],
  sample: ['sample'],
  'proc-exec': ['exec'],
  'proc-fork': ['fork'],
  'proc-exit': ['exit'],
  'dl-end': ['trailer'],
  'rwx-end': ['trailer'],
  'sample-end': ['trailer'],
  'proc-end': ['trailer'],
  'follow-end': ['trailer'],
  'trailer-end': ['trailer'],
};

export const TOOLS: readonly ToolInfo[] = [
  {
    name: 'dlsnoop',
    summary: 'dlopen, dlopen_preflight, dlsym, dlclose and in-memory image loads (NSCreateObjectFileImageFromMemory, NSLinkModule)',
    backends: ['dtrace', 'bpftrace'],
    overhead:
      'One pid-provider (DTrace) or uprobe (bpftrace) firing per call: negligible unless a program resolves symbols in a tight loop.',
    caveats: [
      'DTrace: the pid provider needs a concrete pid (-p, -c). System-wide or by name, dlsnoop prints executable file mappings instead (rwxsnoop clauses), and dlsym is not seen; follow mode attaches a per-pid dlsnoop to each new process.',
      'DTrace: -c covers the command itself, not its children (the pid provider is per process).',
      'A call nested inside another (an initializer calling dlopen) overwrites the outer call: counted in the dl_nested trailer.',
      'Strings are read at return from pointers saved at entry; an unreadable page still faults and shows as a probe error.',
      'bpftrace: glibc dlopen/dlsym/dlclose only; NSCreateObjectFileImageFromMemory and NSLinkModule do not exist on Linux.',
    ],
    seeAlso: 'rwxsnoop, an0840, docs/tools.md',
  },
  {
    name: 'rwxsnoop',
    summary: 'executable, MAP_JIT and Mach VM mappings, protection changes to EXEC with the previous protection, first bytes of regions that become executable',
    backends: ['dtrace', 'bpftrace'],
    overhead:
      'Every mmap/mprotect/munmap (and Mach VM trap) of the traced processes fires a probe, and on Linux every openat, tested in the kernel for a /dev/shm/ path with a 10-byte read; only what touches executable memory is printed: mappings and protection changes with EXEC, and later changes and unmaps of regions already printed. Region memory: a fixed ring per process, whatever it maps (D: at most 33 dynamic variables; bpftrace: 9 map keys), freed at exec and exit.',
    caveats: [
      'Anonymous writable mappings are remembered, not printed; regions mapped before tracing began are untracked (prevProt -1).',
      'A ring of 8 ranges per process (D and bpftrace alike) answers for any address inside a remembered mapping (a protection change or unmap of part of it, mremap moves on Linux, fork copies); prevProt/prevFlags are those of the range holding the first address, so a change spanning mappings with different protections reports the first. A 9th live range pushes out the oldest, counted in regions_evicted; a change there is then untracked (prevProt -1).',
      'DTrace on macOS: mach_vm_remap, vm_remap and their _new forms are libsystem_kernel functions over a MIG message (mach_msg), not Mach traps: they are traced with the pid provider, so only for -p and -c targets (docs/platforms/macos.md §2); system-wide or by name a remapped alias is not followed, and a change made through it is untracked (prevProt -1). A remap into or out of another task is printed but not followed. Under SIP the child of proc:::create cannot be read, so a forked child starts with an empty ring.',
      'Double mappings are linked through a memfd\'s own fd, every fd opened on one /dev/shm name (shm_open, seen as openat; open(2) and openat2 are not traced) and a Mach remap with copy FALSE, and through dup, dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC) of such an fd; not through /proc/self/fd, nor through dup2 with bpftrace (its tracepoint exists on x86-64 only, and a missing one fails the script; the D scripts follow it where the system call exists). A /dev/shm name unlinked and made again is taken for the same object unless O_CREAT|O_EXCL made it. Pages are taken to be 4 KiB (on Apple silicon\'s 16 KiB pages, the part of a last page past a length that is not a multiple of 16 KiB is untracked).',
      'DTrace: raise dynvarsize when "dynamic variable drops" appear; the region ring is freed at exec and exit, other per-process entries of exited processes are not.',
      'DTrace: Mach traps act on a task port; the record is attributed to the calling process even when the target is another task.',
      'Bytes are read from the caller\'s memory when protection changes; a page not resident faults and shows as a probe error.',
      'Per-thread JIT write-protect flips (pthread_jit_write_protect_np) make no system call and are not seen.',
      'bpftrace: Linux has no MAP_JIT and no Mach traps; memfd_create, opens of /dev/shm/ paths and the mappings of both are printed instead. Map keys are capped by BPFTRACE_MAP_KEYS_MAX.',
    ],
    seeAlso: 'anonexec, an0840, docs/tools.md',
    dynvarsize: '16m',
  },
  {
    name: 'anonexec',
    summary: 'execution samples (user PC) of processes that hold executable anonymous memory, rate-limited per process in the kernel',
    backends: ['dtrace', 'bpftrace'],
    overhead:
      'A profile probe at the sample rate on every CPU, filtered in the kernel to watched processes; at most sampleLimit records a second per process.',
    caveats: [
      'A process is watched once it maps anonymous memory executable (or MAP_JIT), or changes a protection to EXEC, while the script runs; earlier regions are not known.',
      'Samples are statistical: short-lived code may be missed entirely.',
      'The PC says where code ran; the parser and rules decide whether that address lies in anonymous memory.',
    ],
    seeAlso: 'rwxsnoop, an0840, docs/tools.md',
    dynvarsize: '8m',
  },
  {
    name: 'procsnoop',
    summary: 'exec (with path), fork and exit of processes, for the process table and for following descendants',
    backends: ['dtrace', 'bpftrace'],
    overhead: 'One probe per exec, process creation and exit: negligible.',
    caveats: [
      'DTrace under SIP: the exec path (a kernel string) and the fork child (a psinfo_t translator) are kernel reads that fault; exec records then carry the process name as path, flagged truncated, and forks are lost as probe errors.',
      'DTrace: exit status is proc:::exit\'s reason (CLD_EXITED…); bpftrace: the raw wait status.',
    ],
    seeAlso: 'an0840, docs/tools.md',
  },
  {
    name: 'an0840',
    summary: 'all of the above in one script: the default capture tool for ATT&CK AN0840 (T1620 Reflective Code Loading)',
    backends: ['dtrace', 'bpftrace'],
    overhead: 'The sum of dlsnoop, rwxsnoop, anonexec and procsnoop.',
    caveats: ['Every caveat of dlsnoop, rwxsnoop, anonexec and procsnoop applies.'],
    seeAlso: 'dlsnoop, rwxsnoop, anonexec, procsnoop, docs/tools.md',
    dynvarsize: '16m',
  },
];

/** Fragment names (without extension) of a tool for a backend and target mode; the trailer count comes last. */
export function composition(tool: ToolName | 'follow', backend: Backend, target: Target, duration: boolean, os: Os = 'darwin'): string[] {
  return [...compositionBody(tool, backend, target, duration, os), 'trailer-end'];
}

function compositionBody(tool: ToolName | 'follow', backend: Backend, target: Target, duration: boolean, os: Os): string[] {
  const follow = target.kind === 'pid' || target.kind === 'command';
  // The pid provider needs a concrete pid (docs/platforms/macos.md §6); uprobes do not.
  const dl = backend === 'bpftrace' || follow;
  const seed = follow ? ['follow-seed'] : [];
  const tail = (ends: string[]) => [...(duration ? ['duration'] : []), 'select-forget', ...ends];
  const consts = backend === 'bpftrace' || tool !== 'procsnoop' ? ['consts'] : [];
  // bpftrace traces memfd_create, /dev/shm opens and mremap in its rwx fragments; D does each in a fragment of its
  // own, for Linux only. Mach remaps are library calls (docs/platforms/macos.md §2): the pid provider, so -p/-c only.
  const rwx = [
    'rwx-args', 'rwx-print', 'rwx-track',
    ...(backend === 'dtrace' && os === 'linux' ? ['memfd', 'shm', 'mremap'] : []),
    ...(backend === 'dtrace' && os === 'darwin' && follow ? ['remap'] : []),
  ];
  switch (tool) {
    case 'dlsnoop':
      if (backend === 'dtrace' && follow) return ['begin', 'dl', ...(duration ? ['duration'] : []), 'dl-end'];
      if (!dl) return [...consts, 'begin', 'select-adopt', ...rwx, 'rwx-cleanup', ...tail(['rwx-end'])];
      return [...consts, 'begin', ...seed, 'select-adopt', 'dl', ...tail(['dl-end'])];
    case 'rwxsnoop':
      return [...consts, 'begin', ...seed, 'select-adopt', ...rwx, 'rwx-cleanup', ...tail(['rwx-end'])];
    case 'anonexec':
      return [...consts, 'begin', ...seed, 'select-adopt', 'rwx-args', 'anon-mark', 'rwx-cleanup', 'sample', ...tail(['sample-end'])];
    case 'procsnoop':
      return [...consts, 'begin', ...seed, 'select-adopt', 'proc-exec', 'proc-fork', 'proc-exit', ...tail(['proc-end'])];
    case 'an0840':
      return [
        ...consts, 'begin', ...seed, 'select-adopt', ...(dl ? ['dl'] : []), ...rwx, 'anon-mark', 'rwx-cleanup', 'sample',
        'proc-exec', 'proc-fork', 'proc-exit', ...tail([...(dl ? ['dl-end'] : []), 'rwx-end', 'sample-end', 'proc-end']),
      ];
    case 'follow':
      return ['consts', 'begin', 'select-adopt', 'proc-exec', 'follow-stop', ...tail(['proc-end', 'follow-end'])];
  }
}

/** Record kinds a composition prints, from the fragment table. */
export function printedKinds(fragments: readonly string[], backend: Backend): RecordKind[] {
  const out = new Set<RecordKind>();
  for (const f of fragments) {
    const kinds = (backend === 'bpftrace' ? FRAGMENT_PRINTS[`${f}.bt`] : undefined) ?? FRAGMENT_PRINTS[f] ?? [];
    for (const k of kinds) out.add(k);
  }
  return [...out];
}

/** Every backend and system a script is generated for. */
const PLATFORMS: readonly { readonly backend: Backend; readonly os: Os }[] = [
  { backend: 'dtrace', os: 'darwin' },
  { backend: 'dtrace', os: 'linux' },
  { backend: 'bpftrace', os: 'linux' },
];

/** One target of each kind: the compositions differ by kind only. */
const TARGET_KINDS: readonly Target[] = [{ kind: 'pid', pid: 1 }, { kind: 'command', command: ['true'] }, { kind: 'name', name: 'x' }, { kind: 'all' }];

/**
 * Record kinds a tool can print (begin and trailer included), in the registry's order: what
 * its scripts print for every backend, system, target and duration, from their fragments.
 */
export function toolRecords(tool: ToolName): RecordKind[] {
  const backends = TOOLS.find((t) => t.name === tool)?.backends ?? [];
  const kinds = new Set<RecordKind>();
  for (const { backend, os } of PLATFORMS) {
    if (!backends.includes(backend)) continue;
    for (const target of TARGET_KINDS) {
      for (const duration of [false, true]) for (const k of printedKinds(composition(tool, backend, target, duration, os), backend)) kinds.add(k);
    }
  }
  return RECORD_KINDS.filter((k) => kinds.has(k));
}
