import { rtldHandleName } from '../protocol/flags.ts';
import type { Rule, RuleMeta } from './types.ts';

/**
 * Symbols that give run-time access to memory, processes or the loader: code
 * that resolves these by name is often assembling an injection or a loader.
 */
export const SENSITIVE_SYMBOLS: ReadonlySet<string> = new Set([
  // memory
  'mmap', 'mprotect', 'munmap', 'mremap', 'memfd_create',
  'vm_allocate', 'vm_protect', 'vm_map', 'vm_write', 'vm_remap', 'vm_read',
  'mach_vm_allocate', 'mach_vm_protect', 'mach_vm_map', 'mach_vm_write', 'mach_vm_remap', 'mach_vm_read',
  'mach_vm_read_overwrite', 'mach_vm_region', 'mach_make_memory_entry', 'mach_make_memory_entry_64',
  'pthread_jit_write_protect_np', 'sys_icache_invalidate', '__clear_cache',
  // other processes and threads
  'task_for_pid', 'task_threads', 'thread_create', 'thread_create_running', 'thread_set_state',
  'ptrace', 'process_vm_writev', 'process_vm_readv',
  // loader
  'dlopen', 'dlsym', 'NSCreateObjectFileImageFromMemory', 'NSLinkModule', 'NSLookupSymbolInModule',
  'NSAddressOfSymbol', '_dyld_get_image_header', '_dyld_image_count', '_dyld_get_image_name',
  // process creation
  'execve', 'execv', 'execvp', 'execl', 'execlp', 'fexecve', 'posix_spawn', 'posix_spawnp', 'system', 'popen', 'fork', 'vfork',
]);

/** Whether a symbol is in the sensitive list (a Mach-O leading underscore is ignored). */
export function isSensitiveSymbol(sym: string): boolean {
  return SENSITIVE_SYMBOLS.has(sym) || (sym.startsWith('_') && SENSITIVE_SYMBOLS.has(sym.slice(1)));
}

export const meta: RuleMeta = {
  id: 'LT-002',
  name: 'atypical-dlsym',
  title: 'Atypical run-time symbol resolution',
  description:
    'dlsym() by a process whose baseline does not expect run-time symbol resolution, or of a symbol outside its expected set. ' +
    'Symbols that reach memory, other processes or the loader (mmap, mprotect, vm_protect, mach_vm_*, task_for_pid, ptrace, dlopen, ' +
    'NSCreateObjectFileImageFromMemory, NSLinkModule, execve, posix_spawn, system, pthread_jit_write_protect_np, …; the full list is ' +
    'SENSITIVE_SYMBOLS in src/rules/atypical-dlsym.ts) are reported at high severity, others at low.',
  tuning:
    'Add `dlsym: { allowed: true }` to the process\'s baseline entry, or `dlsym: { allowed: true, symbols: ["sym", "prefix*"] }` to allow ' +
    'only some symbols. For one-off cases add an exception with fields `[rule, sym.name]`.',
  severity: 'low',
  attack: ['T1620', 'T1106', 'T1129'],
  maturity: 'stable',
  kinds: ['dlsym'],
  behaviours: ['dlsym'],
};

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    if (e.kind !== 'dlsym') return null;
    const verdict = ctx.expect(meta, 'dlsym', { 'sym.name': e.symbol });
    if (verdict.expected) return null;
    const sensitive = isSensitiveSymbol(e.symbol);
    const found = e.ret !== '0x0';
    return [
      {
        key: e.symbol,
        severity: sensitive ? 'high' : 'low',
        summary: `dlsym of ${sensitive ? 'sensitive symbol ' : ''}${e.symbol}${found ? '' : ' (not found)'}`,
        verdict,
        behaviour: 'dlsym',
        subject: { 'sym.name': e.symbol },
        detail: {
          symbol: e.symbol,
          symbolTruncated: e.symbolTrunc,
          sensitive,
          handle: e.handle,
          handleName: rtldHandleName(e.handle, ctx.os),
          resolved: e.ret,
          found,
        },
      },
    ];
  },
};
