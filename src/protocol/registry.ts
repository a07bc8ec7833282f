/**
 * The record registry: the one definition of every record a loadtrace script
 * prints. The parser's field decoders, the zod event schemas, the TypeScript
 * event types, the FIELDS headers of the templates and the printf check in the
 * tests all come from this table, so none of them can drift from the others.
 *
 * Line grammar (docs/protocol.md has the full text):
 *
 *   LT<version>:<nonce> TAB kind TAB ts TAB pid TAB ppid TAB tid TAB uid TAB comm [TAB field]* NEWLINE
 */

/** Protocol version carried in the marker; bump when a field changes meaning or position. */
export const PROTOCOL_VERSION = 1;

/** Marker prefix before the nonce, e.g. `LT1:9f3c2a7b1e4d5c6f`. */
export const MARKER_PREFIX = `LT${PROTOCOL_VERSION}:`;

/** A nonce is 16 lowercase hex digits (64 random bits), fresh for every generated script. */
export const NONCE_PATTERN = /^[0-9a-f]{16}$/;

/**
 * Wire types.
 * - `int`: signed decimal that fits a JS number exactly (pids, prot, flags, fd, errno, kern_return_t).
 * - `u64`: 64-bit value printed as hex without `0x` (`%llx`); kept as a `0x…` string so that
 *   -1 (MAP_FAILED, RTLD_NEXT) and every address stay exact.
 * - `ts`: wall-clock nanoseconds since the epoch, decimal (`%lld` of walltimestamp, an int64_t in D,
 *   whose compilers check a sized conversion against the exact type); kept as a string
 *   because 19-digit nanosecond times exceed 2^53.
 * - `str`: an escaped string (`%S` in D, `%rx` of `buf()` in bpftrace); decoded losslessly.
 * - `str?`: as `str`, but an empty field means the pointer was NULL (an empty string is printed
 *   as its terminator, `\0` or `\x00`, so it is never an empty field).
 * - `trunc`: `1` if the preceding string filled the tracer's buffer and may have been cut short,
 *   `0` if not, `-` when the script cannot tell and the parser infers it from bpftrace's padding.
 * - `word`: a bare token from a fixed set written by the template itself (never traced data).
 * - `bytes`: lowercase hex, two digits a byte, printed one `%02x` per byte.
 */
export type WireType = 'int' | 'u64' | 'ts' | 'str' | 'str?' | 'trunc' | 'word' | 'bytes';

export interface FieldSpec {
  readonly name: string;
  readonly type: WireType;
  /** One line for the FIELDS header of every template that prints this record. */
  readonly doc: string;
}

export interface RecordSpec {
  readonly doc: string;
  readonly fields: readonly FieldSpec[];
}

const f = <N extends string, T extends WireType>(name: N, type: T, doc: string) =>
  ({ name, type, doc }) as const;

/** Fields every record carries, in this order, right after the kind. */
export const COMMON_FIELDS = [
  f('ts', 'ts', 'wall-clock time of the event, ns since the Unix epoch'),
  f('pid', 'int', 'process id'),
  f('ppid', 'int', 'parent process id'),
  f('tid', 'int', 'thread id'),
  f('uid', 'int', 'real user id'),
  f('comm', 'str', 'process name as the kernel keeps it (execname / comm)'),
] as const;

export const RECORDS = {
  begin: {
    doc: 'First record of a script: which tool, for which OS, from which backend.',
    fields: [
      f('tool', 'word', 'tool name (dlsnoop, rwxsnoop, anonexec, procsnoop, an0840)'),
      f('os', 'word', 'darwin or linux: selects the MAP_* and RTLD_* tables used to decode flags'),
      f('backend', 'word', 'dtrace or bpftrace'),
    ],
  },
  dlopen: {
    doc: 'dlopen() returned.',
    fields: [
      f('path', 'str?', 'path argument; empty field for dlopen(NULL)'),
      f('pathTrunc', 'trunc', 'path may have been cut short'),
      f('mode', 'int', 'RTLD_* mode bits'),
      f('handle', 'u64', 'returned handle, 0 on failure'),
    ],
  },
  dlopen_preflight: {
    doc: 'dlopen_preflight() returned (macOS).',
    fields: [
      f('path', 'str', 'path argument'),
      f('pathTrunc', 'trunc', 'path may have been cut short'),
      f('ret', 'int', 'non-zero if the image could be loaded'),
    ],
  },
  dlsym: {
    doc: 'dlsym() returned.',
    fields: [
      f('handle', 'u64', 'handle argument, including RTLD_NEXT/DEFAULT/SELF/MAIN_ONLY'),
      f('symbol', 'str', 'symbol name'),
      f('symbolTrunc', 'trunc', 'symbol may have been cut short'),
      f('ret', 'u64', 'resolved address, 0 if not found'),
    ],
  },
  dlclose: {
    doc: 'dlclose() returned.',
    fields: [
      f('handle', 'u64', 'handle argument'),
      f('ret', 'int', '0 on success'),
    ],
  },
  memload: {
    doc: 'In-memory image load: NSCreateObjectFileImageFromMemory or NSLinkModule returned (macOS).',
    fields: [
      f('fn', 'word', 'NSCreateObjectFileImageFromMemory or NSLinkModule'),
      f('addr', 'u64', 'image buffer (FromMemory) or object file image (NSLinkModule)'),
      f('size', 'u64', 'image size in bytes (0 for NSLinkModule)'),
      f('name', 'str?', 'module name given to NSLinkModule; empty field for FromMemory'),
      f('ret', 'u64', 'return value: NSObjectFileImageReturnCode or NSModule'),
    ],
  },
  mmap: {
    doc: 'mmap() returned, for mappings that can matter: executable, MAP_JIT, or memfd-backed.',
    fields: [
      f('addr', 'u64', 'requested address'),
      f('len', 'u64', 'length in bytes'),
      f('prot', 'int', 'PROT_* bits'),
      f('flags', 'int', 'MAP_* bits (OS-specific values)'),
      f('fd', 'int', 'file descriptor, -1 (or a VM tag on macOS) for anonymous memory'),
      f('off', 'u64', 'file offset'),
      f('ret', 'u64', 'mapped address, 0xffffffffffffffff (MAP_FAILED) on error'),
      f('err', 'int', 'errno when ret is MAP_FAILED, else 0'),
    ],
  },
  mprotect: {
    doc: 'mprotect() returned, for changes that add or keep EXEC, or that touch a tracked region.',
    fields: [
      f('addr', 'u64', 'start address'),
      f('len', 'u64', 'length in bytes'),
      f('prot', 'int', 'new PROT_* bits'),
      f('ret', 'int', '0 on success, else -errno (bpftrace) or -1 (dtrace, errno in err)'),
      f('err', 'int', 'errno on failure, else 0'),
      f('prevProt', 'int', 'protection the script saw this address mapped with, -1 if untracked'),
      f('prevFlags', 'int', 'MAP_* flags the script saw this address mapped with, -1 if untracked'),
    ],
  },
  munmap: {
    doc: 'munmap() returned, for ranges the script is tracking.',
    fields: [
      f('addr', 'u64', 'start address'),
      f('len', 'u64', 'length in bytes'),
      f('ret', 'int', '0 on success'),
    ],
  },
  mremap: {
    doc: 'mremap() returned (Linux), for regions the script has printed: the region moved or was resized, with its history.',
    fields: [
      f('addr', 'u64', 'old address'),
      f('oldLen', 'u64', 'old length in bytes'),
      f('newLen', 'u64', 'new length in bytes'),
      f('flags', 'int', 'MREMAP_* bits (MAYMOVE 1, FIXED 2, DONTUNMAP 4)'),
      f('newAddr', 'u64', 'requested new address (MREMAP_FIXED)'),
      f('ret', 'u64', 'address of the region now, 0xffffffffffffffff (MAP_FAILED) on error'),
      f('err', 'int', 'errno when ret is MAP_FAILED, else 0'),
    ],
  },
  vm_allocate: {
    doc: '_kernelrpc_mach_vm_allocate_trap returned (macOS).',
    fields: [
      f('addr', 'u64', 'allocated address, read back from the in/out pointer'),
      f('size', 'u64', 'size in bytes'),
      f('flags', 'int', 'VM_FLAGS_* bits'),
      f('kr', 'int', 'kern_return_t, 0 = KERN_SUCCESS'),
    ],
  },
  vm_deallocate: {
    doc: '_kernelrpc_mach_vm_deallocate_trap returned (macOS), for tracked ranges.',
    fields: [
      f('addr', 'u64', 'start address'),
      f('size', 'u64', 'size in bytes'),
      f('kr', 'int', 'kern_return_t'),
    ],
  },
  vm_protect: {
    doc: '_kernelrpc_mach_vm_protect_trap returned (macOS).',
    fields: [
      f('addr', 'u64', 'start address'),
      f('size', 'u64', 'size in bytes'),
      f('setMax', 'int', 'non-zero when the maximum protection is being set'),
      f('prot', 'int', 'new VM_PROT_* bits'),
      f('kr', 'int', 'kern_return_t'),
      f('prevProt', 'int', 'protection the script saw this address mapped with, -1 if untracked'),
      f('prevFlags', 'int', 'flags the script saw this address mapped with, -1 if untracked'),
    ],
  },
  vm_map: {
    doc: '_kernelrpc_mach_vm_map_trap returned (macOS).',
    fields: [
      f('addr', 'u64', 'mapped address, read back from the in/out pointer'),
      f('size', 'u64', 'size in bytes'),
      f('mask', 'u64', 'alignment mask'),
      f('flags', 'int', 'VM_FLAGS_* bits'),
      f('prot', 'int', 'current VM_PROT_* bits (arg5)'),
      f('kr', 'int', 'kern_return_t'),
    ],
  },
  vm_remap: {
    doc: 'mach_vm_remap(), vm_remap() or their _new forms returned (macOS, -p/-c targets): a second view of memory (copy 0) or a copy of it (copy 1).',
    fields: [
      f('fn', 'word', 'mach_vm_remap, vm_remap, mach_vm_remap_new or vm_remap_new'),
      f('addr', 'u64', 'address of the new view, read back from the in/out pointer; 0 when kr is not 0'),
      f('size', 'u64', 'size in bytes'),
      f('flags', 'int', 'VM_FLAGS_* bits'),
      f('task', 'int', 'target task port name, as the caller names it'),
      f('srcTask', 'int', 'source task port name, as the caller names it: the same as task for an alias in one process'),
      f('srcAddr', 'u64', 'source address'),
      f('copy', 'int', '0: the new view shares the source memory; non-zero: it is a copy'),
      f('cur', 'int', 'current VM_PROT_* bits of the new view, read back at return; -1 when kr is not 0'),
      f('max', 'int', 'maximum VM_PROT_* bits of the new view, read back at return; -1 when kr is not 0'),
      f('kr', 'int', 'kern_return_t, 0 = KERN_SUCCESS'),
      f('prevProt', 'int', 'protection the script saw the source address mapped with, -1 if untracked'),
      f('prevFlags', 'int', 'flags the script saw the source address mapped with, -1 if untracked'),
    ],
  },
  memfd: {
    doc: 'memfd_create() returned (Linux): an anonymous file that can be mapped executable.',
    fields: [
      f('name', 'str', 'name given to memfd_create'),
      f('nameTrunc', 'trunc', 'name may have been cut short'),
      f('fd', 'int', 'returned file descriptor, negative on error'),
    ],
  },
  shm: {
    doc: 'openat() of a path under /dev/shm/ returned (Linux: shm_open): a named shared-memory object that can be mapped more than once.',
    fields: [
      f('path', 'str', 'path opened, /dev/shm/NAME'),
      f('pathTrunc', 'trunc', 'path may have been cut short'),
      f('oflags', 'int', 'O_* open flags'),
      f('fd', 'int', 'returned file descriptor, negative on error'),
    ],
  },
  dup: {
    doc: 'dup(), dup2(), dup3() or fcntl(F_DUPFD, F_DUPFD_CLOEXEC) of a memfd or /dev/shm descriptor returned (Linux): the new fd names the same object.',
    fields: [
      f('fd', 'int', 'descriptor duplicated'),
      f('newFd', 'int', 'returned descriptor, negative on error'),
    ],
  },
  close: {
    doc: 'close() of a descriptor the script knows as a memfd or /dev/shm object (Linux): it no longer names that object.',
    fields: [f('fd', 'int', 'file descriptor')],
  },
  exec: {
    doc: 'A process image was replaced (exec succeeded).',
    fields: [
      f('path', 'str', 'path of the new executable'),
      f('pathTrunc', 'trunc', 'path may have been cut short'),
    ],
  },
  fork: {
    doc: 'A process created a child (fork, posix_spawn).',
    fields: [f('child', 'int', 'child process id')],
  },
  exit: {
    doc: 'A process exited.',
    fields: [f('status', 'int', 'exit reason or status as the tracer reports it')],
  },
  sample: {
    doc: 'Execution sample of a process being watched: the user-mode program counter.',
    fields: [f('pc', 'u64', 'user program counter')],
  },
  bytes: {
    doc: 'First bytes of a region at the moment it became executable.',
    fields: [
      f('addr', 'u64', 'region start'),
      f('data', 'bytes', 'first bytes, hex'),
    ],
  },
  trailer: {
    doc: "Printed at END: one of the script's own counters.",
    fields: [
      f('counter', 'word', 'counter name'),
      f('value', 'int', 'counter value'),
    ],
  },
} as const satisfies Record<string, RecordSpec>;

export type RecordKind = keyof typeof RECORDS;
export const RECORD_KINDS = Object.keys(RECORDS) as RecordKind[];

type WireTs<T extends WireType> = T extends 'int'
  ? number
  : T extends 'trunc'
    ? boolean
    : T extends 'str?'
      ? string | null
      : string;

type FieldsOf<K extends RecordKind> = (typeof RECORDS)[K]['fields'][number];
type FieldObject<F extends { name: string; type: WireType }> = {
  [P in F as P['name']]: WireTs<P['type']>;
};

/** Values derived by the parser from raw fields with the OS tables, so rules never see OS constants. */
export interface DerivedFields {
  mmap: { anon: boolean; jit: boolean; shared: boolean; fixed: boolean };
  mprotect: { prevAnon: boolean | null };
  vm_protect: { prevAnon: boolean | null };
}

/** Where an event came from in its input, for evidence and diagnostics. */
export interface EventOrigin {
  /** 1-based line number of the record line in its input. */
  readonly line: number;
  /** Arrival order across the whole input (0-based), a stable tiebreak after reordering. */
  readonly seq: number;
  /** `ts` as milliseconds since the epoch (a double), for windows and display. */
  readonly t: number;
  /** User stack frames printed right after the record, if the script asked for them. */
  ustack?: string[];
}

export type EventOf<K extends RecordKind> = { kind: K } & FieldObject<(typeof COMMON_FIELDS)[number]> &
  FieldObject<FieldsOf<K>> &
  (K extends keyof DerivedFields ? DerivedFields[K] : unknown) &
  EventOrigin;

/** A typed event: one per record, backend-independent. */
export type TraceEvent = { [K in RecordKind]: EventOf<K> }[RecordKind];

/** Every field of a record kind in wire order, common fields first (kind itself excluded). */
export function wireFields(kind: RecordKind): readonly FieldSpec[] {
  return [...COMMON_FIELDS, ...RECORDS[kind].fields];
}
