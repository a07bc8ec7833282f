/**
 * Blind spots: what the report cannot see. Some come from the trace
 * (drops, probe errors, processes not attached), some from the engine's own
 * limits, and some are always true of the platform (DESIGN contract 4).
 */
import type { Os, Backend } from '../protocol/flags.ts';

export type BlindSpotKind =
  | 'drops'
  | 'probe_errors'
  | 'not_attached'
  | 'sip'
  | 'tracer_errors'
  | 'malformed_records'
  | 'preexisting_regions'
  | 'unattributed_samples'
  | 'late_events'
  | 'limits'
  | 'script_counters'
  | 'missing_trailer'
  | 'partial_trailer'
  | 'platform';

export interface BlindSpot {
  readonly kind: BlindSpotKind;
  readonly title: string;
  readonly detail: string;
  /** How many (events, records, regions…) the blind spot is about, when countable. */
  readonly count: number | null;
  readonly examples: readonly string[];
}

interface PlatformBlindSpot {
  readonly title: string;
  readonly detail: string;
}

/** Which dlopen/dlsym calls a Linux trace can see depends on how the tracer reaches them. */
const LINUX_DLOPEN: Readonly<Record<Backend | 'unknown', PlatformBlindSpot>> = {
  bpftrace: {
    title: 'dlopen/dlsym are traced in one libc only',
    detail:
      'The uprobes attach to the system libc: statically linked programs, other libcs (musl) and custom ELF loaders that never call ' +
      'dlopen are seen only through their mmap/mprotect calls.',
  },
  dtrace: {
    title: 'dlopen/dlsym are traced only in the processes the pid provider instruments',
    detail:
      "DTrace for Linux probes dlopen/dlsym with the pid provider, in each traced process's own libraries: only the -p/-c target and " +
      'the processes follow mode attaches to. System-wide and by name, loads show only as executable file mappings; statically linked ' +
      "programs and custom ELF loaders that never call dlopen are seen only through their mmap/mprotect calls; and the loader's " +
      'mappings before libc is mapped are not seen.',
  },
  unknown: {
    title: 'dlopen/dlsym are traced through the C library only',
    detail:
      'The trace names no backend. Both trace dlopen/dlsym in the C library: statically linked programs and custom ELF loaders that never ' +
      'call dlopen are seen only through their mmap/mprotect calls.',
  },
};

/** What a platform (and, on Linux, the backend that traced it) cannot show, whatever the trace; always reported. */
export function platformBlindSpots(os: Os, backend: Backend | null = null): readonly PlatformBlindSpot[] {
  if (os === 'darwin') return PLATFORM_BLIND_SPOTS.darwin;
  const [first, ...rest] = PLATFORM_BLIND_SPOTS.linux;
  return [first!, LINUX_DLOPEN[backend ?? 'unknown'], ...rest];
}

/** What each platform cannot show; on Linux the dlopen entry, second, depends on the backend (LINUX_DLOPEN). */
const PLATFORM_BLIND_SPOTS: Readonly<Record<Os, readonly PlatformBlindSpot[]>> = {
  darwin: [
    {
      title: 'per-thread JIT write-protect flips are invisible',
      detail:
        'On Apple silicon, JIT engines switch MAP_JIT memory between writable and executable per thread with ' +
        'pthread_jit_write_protect_np, which makes no system call: W↔X flips inside MAP_JIT regions are not traced ' +
        '(docs/platforms/macos.md §9).',
    },
    {
      title: "NSLinkModule's internal dlopen does not fire dlopen",
      detail:
        'NSLinkModule writes the image to a temp file and loads it with dyld\'s internal dlopen_from, not the libdyld export: ' +
        'only the memload probes on NSCreateObjectFileImageFromMemory/NSLinkModule see it (docs/platforms/macos.md §1).',
    },
    {
      title: 'Mach VM calls through MIG are not traced',
      detail:
        'mach_vm_map/allocate/protect reach the kernel through the traced traps only in some cases; others go through mach_msg (MIG) ' +
        'and calls on another task are not seen (docs/platforms/macos.md §2).',
    },
    {
      title: 'images mapped by the kernel or before tracing are unknown',
      detail:
        'The main executable, dyld and the dyld shared cache are mapped at exec, not by mmap, and processes already running had ' +
        'their images mapped before tracing: samples there cannot be attributed to a region (docs/platforms/macos.md §8).',
    },
    {
      title: 'execution is sampled',
      detail: 'Execution from anonymous memory is seen through profile samples: code that runs briefly between samples can be missed.',
    },
  ],
  linux: [
    {
      title: 'no Mach VM traps or in-memory image APIs',
      detail:
        'Linux has no Mach traps and no NSCreateObjectFileImageFromMemory: fileless loads are seen only as memfd mappings, execs of ' +
        '/dev/fd/N, and anonymous memory made executable.',
    },
    {
      title: 'images mapped by the kernel or before tracing are unknown',
      detail:
        'The main executable, ld.so and the vDSO are mapped at exec, not by mmap, and processes already running had their images ' +
        'mapped before tracing: samples there cannot be attributed to a region.',
    },
    {
      title: 'cross-process writes are not traced',
      detail: 'process_vm_writev and ptrace(POKETEXT) can place code in another process without any call the scripts trace.',
    },
    {
      title: 'execution is sampled',
      detail: 'Execution from anonymous memory is seen through profile samples: code that runs briefly between samples can be missed.',
    },
  ],
};

/** Where an execution sample outside every region the trace saw mapped most likely ran, per platform. */
export const UNMAPPED_IMAGES: Readonly<Record<Os, string>> = {
  darwin: 'the main executable, dyld, the dyld shared cache, images mapped before tracing',
  linux: 'the main executable, ld.so, the vDSO, images mapped before tracing',
};
