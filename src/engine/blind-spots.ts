/**
 * Blind spots: what the report cannot see. Some come from the trace
 * (drops, probe errors, processes not attached), some from the engine's own
 * limits, and some are always true of the platform (DESIGN contract 4).
 */
import type { Os } from '../protocol/flags.ts';

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

/** What each platform cannot show, whatever the trace; always reported. */
export const PLATFORM_BLIND_SPOTS: Readonly<Record<Os, readonly { title: string; detail: string }[]>> = {
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
      title: 'dlopen/dlsym are traced in one libc only',
      detail:
        'The uprobes attach to the system libc: statically linked programs, other libcs (musl) and custom ELF loaders that never call ' +
        'dlopen are seen only through their mmap/mprotect calls.',
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
