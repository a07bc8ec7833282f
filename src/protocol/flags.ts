/**
 * Flag tables for decoding raw protection, mapping, VM and RTLD values to names.
 * Raw values always stay in the events; names are added for people and evidence.
 */

export type Os = 'darwin' | 'linux';

/** The tracers a script is written for and a trace comes from. */
export const BACKENDS = ['dtrace', 'bpftrace'] as const;
export type Backend = (typeof BACKENDS)[number];

type Table = readonly (readonly [name: string, bit: number])[];

// xnu bsd/sys/mman.h (docs/platforms/macos.md §2); Linux has the same PROT_* values.
export const PROT: Table = [
  ['PROT_READ', 0x1],
  ['PROT_WRITE', 0x2],
  ['PROT_EXEC', 0x4],
];
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

// xnu bsd/sys/mman.h (docs/platforms/macos.md §2).
const MAP_DARWIN: Table = [
  ['MAP_SHARED', 0x1],
  ['MAP_PRIVATE', 0x2],
  ['MAP_FIXED', 0x10],
  ['MAP_NORESERVE', 0x40],
  ['MAP_NOCACHE', 0x400],
  ['MAP_JIT', 0x800],
  ['MAP_ANON', 0x1000],
  ['MAP_RESILIENT_CODESIGN', 0x2000],
  ['MAP_RESILIENT_MEDIA', 0x4000],
  ['MAP_32BIT', 0x8000],
  ['MAP_TRANSLATED_ALLOW_EXECUTE', 0x20000],
  ['MAP_UNIX03', 0x40000],
  ['MAP_TPRO', 0x80000],
];

// Linux include/uapi/asm-generic/mman-common.h and asm/mman.h (x86-64, arm64).
const MAP_LINUX: Table = [
  ['MAP_SHARED', 0x1],
  ['MAP_PRIVATE', 0x2],
  ['MAP_SHARED_VALIDATE', 0x3],
  ['MAP_FIXED', 0x10],
  ['MAP_ANONYMOUS', 0x20],
  ['MAP_32BIT', 0x40],
  ['MAP_GROWSDOWN', 0x100],
  ['MAP_DENYWRITE', 0x800],
  ['MAP_EXECUTABLE', 0x1000],
  ['MAP_LOCKED', 0x2000],
  ['MAP_NORESERVE', 0x4000],
  ['MAP_POPULATE', 0x8000],
  ['MAP_NONBLOCK', 0x10000],
  ['MAP_STACK', 0x20000],
  ['MAP_HUGETLB', 0x40000],
  ['MAP_SYNC', 0x80000],
  ['MAP_FIXED_NOREPLACE', 0x100000],
];

export const MAP_BITS = {
  darwin: { anon: 0x1000, jit: 0x800, shared: 0x1, fixed: 0x10 },
  linux: { anon: 0x20, jit: 0, shared: 0x1, fixed: 0x10 },
} as const satisfies Record<Os, { anon: number; jit: number; shared: number; fixed: number }>;

// xnu osfmk/mach/vm_prot.h (docs/platforms/macos.md §2).
export const VM_PROT: Table = [
  ['VM_PROT_READ', 0x1],
  ['VM_PROT_WRITE', 0x2],
  ['VM_PROT_EXECUTE', 0x4],
  ['VM_PROT_COPY', 0x10],
  ['VM_PROT_IS_MASK', 0x40],
  ['VM_PROT_STRIP_READ', 0x80],
  ['VM_PROT_TPRO', 0x200],
  ['VM_PROT_NO_CHANGE', 0x01000000],
];

// xnu osfmk/mach/vm_statistics.h (docs/platforms/macos.md §2). VM_FLAGS_FIXED is 0: no bit.
export const VM_FLAGS: Table = [
  ['VM_FLAGS_ANYWHERE', 0x1],
  ['VM_FLAGS_PURGABLE', 0x2],
  ['VM_FLAGS_RANDOM_ADDR', 0x8],
  ['VM_FLAGS_OVERWRITE', 0x4000],
];
export const VM_FLAGS_ALIAS_MASK = 0xff000000;

// dyld include/dlfcn.h (docs/platforms/macos.md §1).
const RTLD_MODE_DARWIN: Table = [
  ['RTLD_LAZY', 0x1],
  ['RTLD_NOW', 0x2],
  ['RTLD_LOCAL', 0x4],
  ['RTLD_GLOBAL', 0x8],
  ['RTLD_NOLOAD', 0x10],
  ['RTLD_NODELETE', 0x80],
  ['RTLD_FIRST', 0x100],
];

// glibc bits/dlfcn.h; RTLD_LOCAL is 0 on Linux, so it has no bit.
const RTLD_MODE_LINUX: Table = [
  ['RTLD_LAZY', 0x1],
  ['RTLD_NOW', 0x2],
  ['RTLD_NOLOAD', 0x4],
  ['RTLD_DEEPBIND', 0x8],
  ['RTLD_GLOBAL', 0x100],
  ['RTLD_NODELETE', 0x1000],
];

// dyld include/dlfcn.h: RTLD_NEXT -1, RTLD_DEFAULT -2, RTLD_SELF -3, RTLD_MAIN_ONLY -5
// (docs/platforms/macos.md §1). glibc: RTLD_NEXT -1, RTLD_DEFAULT 0.
const RTLD_HANDLES: Record<Os, Record<string, string>> = {
  darwin: {
    '0xffffffffffffffff': 'RTLD_NEXT',
    '0xfffffffffffffffe': 'RTLD_DEFAULT',
    '0xfffffffffffffffd': 'RTLD_SELF',
    '0xfffffffffffffffb': 'RTLD_MAIN_ONLY',
  },
  linux: {
    '0xffffffffffffffff': 'RTLD_NEXT',
    '0x0': 'RTLD_DEFAULT',
  },
};

/** MAP_FAILED, ((void *)-1), as the registry's canonical u64 string. */
export const MAP_FAILED = '0xffffffffffffffff';

function names(table: Table, value: number): string[] {
  const out: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of table) {
    if (bit !== 0 && (rest & bit) === bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** `PROT_READ|PROT_WRITE`, or `PROT_NONE`. */
export function decodeProt(prot: number): string[] {
  return prot === 0 ? ['PROT_NONE'] : names(PROT, prot);
}

/** Short rwx form of a protection, as in /proc/PID/maps: `rw-`, `r-x`. */
export function protString(prot: number): string {
  return `${prot & PROT_READ ? 'r' : '-'}${prot & PROT_WRITE ? 'w' : '-'}${prot & PROT_EXEC ? 'x' : '-'}`;
}

export function decodeMapFlags(flags: number, os: Os): string[] {
  const table = os === 'darwin' ? MAP_DARWIN : MAP_LINUX;
  // Linux MAP_SHARED_VALIDATE (0x3) is a value, not two bits.
  if (os === 'linux' && (flags & 0x3) === 0x3) {
    return ['MAP_SHARED_VALIDATE', ...names(table.slice(3), flags & ~0x3)];
  }
  return flags === 0 ? [] : names(table, flags);
}

export function decodeVmProt(prot: number): string[] {
  return prot === 0 ? ['VM_PROT_NONE'] : names(VM_PROT, prot);
}

export function decodeVmFlags(flags: number): string[] {
  const alias = (flags & VM_FLAGS_ALIAS_MASK) >>> 24;
  const out = names(VM_FLAGS, flags & ~VM_FLAGS_ALIAS_MASK);
  if (!(flags & 0x1)) out.unshift('VM_FLAGS_FIXED');
  if (alias) out.push(`VM_MAKE_TAG(${alias})`);
  return out;
}

export function decodeRtldMode(mode: number, os: Os): string[] {
  const out = names(os === 'darwin' ? RTLD_MODE_DARWIN : RTLD_MODE_LINUX, mode);
  if (os === 'linux' && !(mode & 0x100)) out.push('RTLD_LOCAL');
  return out;
}

/** Name of a special dlsym/dlopen handle (`RTLD_DEFAULT`…), or null for an ordinary handle. */
export function rtldHandleName(handle: string, os: Os): string | null {
  return RTLD_HANDLES[os][handle] ?? null;
}

/** Derived mmap booleans with the OS's own bit values, so rules stay OS-independent. */
export function mmapTraits(flags: number, os: Os): { anon: boolean; jit: boolean; shared: boolean; fixed: boolean } {
  const b = MAP_BITS[os];
  return {
    anon: (flags & b.anon) !== 0,
    jit: b.jit !== 0 && (flags & b.jit) !== 0,
    shared: (flags & 0x3) === b.shared,
    fixed: (flags & b.fixed) !== 0,
  };
}
