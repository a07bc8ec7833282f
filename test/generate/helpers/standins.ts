/**
 * Stand-ins for the probes a D compiler on Linux cannot match, so the compile gate can run
 * without -Z and still type-check every clause: a probe that matches nothing is an error
 * without -Z, which proves every other probe description names a probe that exists.
 * Each stand-in has the argument shape of what it replaces (64-bit integer args, the same
 * entry/return name); docs/tools.md ("What the compile gate proves") lists them.
 */

/** [macOS-only probe description, what the compile gate compiles in its place]. */
export const STAND_INS: readonly [RegExp, string, string][] = [
  // mach_trap exists only in xnu; its entry args are 64-bit integers like a syscall's.
  [/\bmach_trap::_kernelrpc_mach_vm_(?:allocate|deallocate|protect|map)_trap:(entry|return)\b/g, 'syscall::mmap:$1', 'mach_trap::_kernelrpc_mach_vm_*_trap'],
  // libdyld's in-memory loaders and dlopen_preflight do not exist in glibc.
  [/\bpid\$target::(?:NSCreateObjectFileImageFromMemory|NSLinkModule|dlopen_preflight):(entry|return)\b/g, 'pid$$target::dlclose:$1', 'pid$target::{NSCreateObjectFileImageFromMemory,NSLinkModule,dlopen_preflight}'],
  // libsystem_kernel's Mach VM wrappers; a libc function stands in, with the pid provider's 64-bit integer args.
  [/\bpid\$target:libsystem_kernel\.dylib:(?:mach_vm_remap|vm_remap|mach_vm_remap_new|vm_remap_new):(entry|return)\b/g, 'pid$$target::munmap:$1', 'pid$target:libsystem_kernel.dylib:{mach_vm_remap,vm_remap,mach_vm_remap_new,vm_remap_new}'],
];

/**
 * Options of Apple's dtrace that Oracle's D does not know: compiled without them.
 * temporal (Apple's dtrace-284 and later) merges per-CPU buffers in time order.
 */
export const MACOS_ONLY_PRAGMAS = /^#pragma D option temporal$/gm;

/** The script with every macOS-only probe description replaced by its stand-in, and macOS-only options left out. */
export function withStandIns(script: string): string {
  let out = script.replace(MACOS_ONLY_PRAGMAS, '/* macOS-only option left out by the compile gate */');
  for (const [re, to] of STAND_INS) out = out.replace(re, to);
  return out;
}
