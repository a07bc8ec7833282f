/*
 * rwxsnoop.d - executable, MAP_JIT and Mach VM mappings, protection changes to EXEC with the previous protection, first bytes of regions that become executable
 *
 * USAGE
 *   dtrace -q -Z -s rwxsnoop.d                 # every process
 *   loadtrace generate rwxsnoop [-p PID | -c CMD | -n NAME] [options]   # any target
 *
 * FIELDS
 *   Every record: LT1:<nonce>, kind, then the common fields:
 *     ts pid ppid tid uid comm
 *       ts          wall-clock time of the event, ns since the Unix epoch
 *       pid         process id
 *       ppid        parent process id
 *       tid         thread id
 *       uid         real user id
 *       comm        process name as the kernel keeps it (execname / comm)
 *   kind begin: tool os backend
 *       tool        tool name (dlsnoop, rwxsnoop, anonexec, procsnoop, an0840)
 *       os          darwin or linux: selects the MAP_* and RTLD_* tables used to decode flags
 *       backend     dtrace or bpftrace
 *   kind mmap: addr len prot flags fd off ret err
 *       addr        requested address
 *       len         length in bytes
 *       prot        PROT_* bits
 *       flags       MAP_* bits (OS-specific values)
 *       fd          file descriptor, -1 (or a VM tag on macOS) for anonymous memory
 *       off         file offset
 *       ret         mapped address, 0xffffffffffffffff (MAP_FAILED) on error
 *       err         errno when ret is MAP_FAILED, else 0
 *   kind mprotect: addr len prot ret err prevProt prevFlags
 *       addr        start address
 *       len         length in bytes
 *       prot        new PROT_* bits
 *       ret         0 on success, else -errno (bpftrace) or -1 (dtrace, errno in err)
 *       err         errno on failure, else 0
 *       prevProt    protection the script saw this address mapped with, -1 if untracked
 *       prevFlags   MAP_* flags the script saw this address mapped with, -1 if untracked
 *   kind bytes: addr data
 *       addr        region start
 *       data        first bytes, hex
 *   kind vm_allocate: addr size flags kr
 *       addr        allocated address, read back from the in/out pointer
 *       size        size in bytes
 *       flags       VM_FLAGS_* bits
 *       kr          kern_return_t, 0 = KERN_SUCCESS
 *   kind vm_protect: addr size setMax prot kr prevProt prevFlags
 *       addr        start address
 *       size        size in bytes
 *       setMax      non-zero when the maximum protection is being set
 *       prot        new VM_PROT_* bits
 *       kr          kern_return_t
 *       prevProt    protection the script saw this address mapped with, -1 if untracked
 *       prevFlags   flags the script saw this address mapped with, -1 if untracked
 *   kind vm_map: addr size mask flags prot kr
 *       addr        mapped address, read back from the in/out pointer
 *       size        size in bytes
 *       mask        alignment mask
 *       flags       VM_FLAGS_* bits
 *       prot        current VM_PROT_* bits (arg5)
 *       kr          kern_return_t
 *   kind munmap: addr len ret
 *       addr        start address
 *       len         length in bytes
 *       ret         0 on success
 *   kind vm_deallocate: addr size kr
 *       addr        start address
 *       size        size in bytes
 *       kr          kern_return_t
 *   kind trailer: counter value
 *       counter     counter name
 *       value       counter value
 *
 * OVERHEAD
 *   Every mmap/mprotect/munmap (and Mach VM trap) of the traced processes fires
 *   a probe; only what touches executable memory is printed: mappings and
 *   protection changes with EXEC, and later changes and unmaps of regions
 *   already printed. Region memory: one dynamic variable per live anonymous
 *   writable mapping.
 *
 * CAVEATS
 *   - Anonymous writable mappings are remembered, not printed; regions mapped
 *     before tracing began are untracked (prevProt -1).
 *   - bpftrace: a ring of 8 ranges per process answers for any address inside a
 *     remembered mapping (a protection change or unmap of part of it, mremap
 *     moves, fork copies); prevProt/prevFlags are those of the range holding the
 *     first address, so a change spanning mappings with different protections
 *     reports the first. A 9th live range pushes out the oldest, counted in
 *     regions_evicted; a change there is then untracked (prevProt -1).
 *   - DTrace: regions are still remembered by their start address only: a change
 *     or unmap that does not start at a remembered mapping's first address is
 *     not matched to it, and mach_vm_remap aliases are not traced.
 *   - Double mappings are linked only through a memfd's own fd (not a dup()ed
 *     fd, /proc/self/fd or shm_open); pages are taken to be 4 KiB on Linux.
 *   - DTrace: raise dynvarsize when "dynamic variable drops" appear; entries of
 *     exited processes are not reclaimed.
 *   - DTrace: Mach traps act on a task port; the record is attributed to the
 *     calling process even when the target is another task.
 *   - Bytes are read from the caller's memory when protection changes; a page
 *     not resident faults and shows as a probe error.
 *   - Per-thread JIT write-protect flips (pthread_jit_write_protect_np) make no
 *     system call and are not seen.
 *   - bpftrace: Linux has no MAP_JIT and no Mach traps; memfd_create and
 *     memfd-backed mappings are printed instead. Map keys are capped by
 *     BPFTRACE_MAP_KEYS_MAX.
 *
 * SEE ALSO
 *   anonexec, an0840, docs/tools.md
 *
 * Generated by loadtrace from dtrace/fragments; do not edit by hand.
 */

#pragma D option quiet
#pragma D option strsize=256
#pragma D option switchrate=10hz
#pragma D option dynvarsize=16m

/* Prologue: options validated by loadtrace, as typed constants. LT_UID -1 = any uid. */
inline string LT_NONCE = "0123456789abcdef";
inline string LT_TOOL = "rwxsnoop";
inline string LT_OS = "darwin";
inline int LT_ALL = 1;
inline string LT_NAME = "";
inline int LT_UID = -1;
inline int LT_STRSIZE = 256;
inline int LT_USTACK = 0;
inline int LT_UNFILTERED = 0;
inline int LT_DURATION = 0;
inline int LT_SAMPLE_LIMIT = 50;
inline int LT_TRAILERS = 5;
inline int LT_SELF_PID = 0;
inline int LT_NOT_SELF = (pid != $pid && (LT_SELF_PID == 0 || (pid != LT_SELF_PID && ppid != LT_SELF_PID)));

/* Flag values of xnu bsd/sys/mman.h and osfmk/mach/vm_prot.h (reference macos-dtrace.md §2). */
inline int LT_PROT_WRITE = 0x2;
inline int LT_PROT_EXEC = 0x4;
inline int LT_MAP_PRIVATE = 0x2;
inline int LT_MAP_JIT = 0x800;
inline int LT_MAP_ANON = 0x1000;
inline int LT_VM_PROT_DEFAULT = 0x3;
inline int LT_VM_PROT_WRITE = 0x2;
inline int LT_VM_PROT_EXECUTE = 0x4;
/* mach_trap return probes put the kern_return_t in arg0, 0 = KERN_SUCCESS (reference macos-dtrace.md §2). */
inline int LT_KERN_SUCCESS = 0;
/*
 * Bit 30 of a remembered region's value ((flags << 8) | prot): a record about the region was
 * printed, so the parser knows it and its unmap matters. macOS MAP_* flags end at MAP_TPRO
 * 0x80000 (reference macos-dtrace.md §2), so flags << 8 stays below it.
 */
inline int LT_RGN_SHOWN = 0x40000000;
/* Follow mode stops each new process with SIGSTOP, which is 17 on macOS (xnu bsd/sys/signal.h). */
inline int LT_SIGSTOP = 17;

/* Announce tool, OS and backend first, so the parser picks the OS's MAP_* and RTLD_* tables. */
BEGIN
{
	printf("LT1:%s\tbegin\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%s\t%s\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, LT_TOOL, LT_OS, "dtrace");
}

/*
 * A new image whose parent is followed is followed too. exec-success fires in the new
 * image, and pid/ppid builtins keep working under SIP (reference macos-dtrace.md §6, §7).
 */
proc:::exec-success
/lt_follow[ppid] && !lt_follow[pid]/
{
	lt_follow[pid] = 1;
}

/*
 * Remembered regions, [pid, start] -> (flags << 8) | prot (see rwx-track). Declared here because
 * rwx-print reads them before rwx-track assigns them, and D rejects that undeclared.
 */
int64_t lt_rgn[int, uint64_t];
/* memfd descriptors per [pid, fd] (Linux only: see the memfd fragment); never set on macOS. */
int lt_memfd[int, int];

/*
 * mmap(addr, len, prot, flags, fd, pos): keep the arguments for the return probe, where
 * the result is known (reference macos-dtrace.md §2: arg0..arg5 in prototype order).
 */
syscall::mmap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_mmap = 1;
	self->lt_mmap_addr = arg0;
	self->lt_mmap_len = arg1;
	self->lt_mmap_prot = (int)arg2;
	self->lt_mmap_flags = (int)arg3;
	self->lt_mmap_fd = (int)arg4;
	self->lt_mmap_off = arg5;
}

/* mprotect(addr, len, prot) (reference macos-dtrace.md §2). */
syscall::mprotect:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_mp = 1;
	self->lt_mp_addr = arg0;
	self->lt_mp_len = arg1;
	self->lt_mp_prot = (int)arg2;
}

/*
 * _kernelrpc_mach_vm_allocate_trap(target, addr*, size, flags): arg1 points to the
 * in/out address (reference macos-dtrace.md §2).
 */
mach_trap::_kernelrpc_mach_vm_allocate_trap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_va = 1;
	self->lt_va_ptr = arg1;
	self->lt_va_size = arg2;
	self->lt_va_flags = (int)arg3;
}

/* The kernel has copied the allocated address out to arg1's pointer: read it back now (reference macos-dtrace.md §2). */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return
/self->lt_va && self->lt_va_ptr/
{
	self->lt_va_addr = *(uint64_t *)copyin(self->lt_va_ptr, 8);
}

/* _kernelrpc_mach_vm_protect_trap(target, address, size, set_maximum, new_protection): arg0..arg4 (reference macos-dtrace.md §2). */
mach_trap::_kernelrpc_mach_vm_protect_trap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_vp = 1;
	self->lt_vp_addr = arg1;
	self->lt_vp_size = arg2;
	self->lt_vp_setmax = (int)arg3;
	self->lt_vp_prot = (int)arg4;
}

/*
 * _kernelrpc_mach_vm_map_trap(target, addr*, size, mask, flags, cur_protection):
 * arg1 is in/out, cur_protection is arg5 (reference macos-dtrace.md §2).
 */
mach_trap::_kernelrpc_mach_vm_map_trap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_vm = 1;
	self->lt_vm_ptr = arg1;
	self->lt_vm_size = arg2;
	self->lt_vm_mask = arg3;
	self->lt_vm_flags = (int)arg4;
	self->lt_vm_prot = (int)arg5;
}

/* Read back the mapped address from the in/out pointer (reference macos-dtrace.md §2). */
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_vm && self->lt_vm_ptr/
{
	self->lt_vm_addr = *(uint64_t *)copyin(self->lt_vm_ptr, 8);
}

/*
 * Print every mapping that is executable, MAP_JIT or of a memfd. The return value is in
 * arg1: -1 (MAP_FAILED) on failure on macOS (reference macos-dtrace.md §2), the raw
 * -errno on Linux (docs/platforms/linux.md); either way the error is in errno, and the
 * record says MAP_FAILED as libc would.
 */
syscall::mmap:return
/self->lt_mmap && (LT_UNFILTERED || (self->lt_mmap_prot & LT_PROT_EXEC) || (self->lt_mmap_flags & LT_MAP_JIT) || lt_memfd[pid, self->lt_mmap_fd])/
{
	printf("LT1:%s\tmmap\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\t%d\t%d\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_mmap_addr, self->lt_mmap_len, self->lt_mmap_prot, self->lt_mmap_flags,
	    self->lt_mmap_fd, self->lt_mmap_off, (int64_t)arg1 < 0 ? (uint64_t)-1 : arg1, (int64_t)arg1 < 0 ? errno : 0);
	self->lt_pr = 1;
}

/* Mappings filtered out in the kernel are counted, so the trailer says how many were not printed. */
syscall::mmap:return
/self->lt_mmap && !self->lt_pr/
{
	lt_mmap_filtered++;
}

/*
 * Print protection changes that include EXEC, or that touch a region already printed;
 * prevProt/prevFlags come from the script's memory of the region, -1 when untracked.
 */
syscall::mprotect:return
/self->lt_mp && (LT_UNFILTERED || (self->lt_mp_prot & LT_PROT_EXEC) || (lt_rgn[pid, (uint64_t)self->lt_mp_addr] & LT_RGN_SHOWN))/
{
	this->prev = lt_rgn[pid, (uint64_t)self->lt_mp_addr];
	printf("LT1:%s\tmprotect\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_mp_addr, self->lt_mp_len, self->lt_mp_prot, (int64_t)arg1 < 0 ? -1 : (int)arg1, (int64_t)arg1 < 0 ? errno : 0,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
	self->lt_pr = 1;
}

/* Count protection changes filtered out in the kernel. */
syscall::mprotect:return
/self->lt_mp && !self->lt_pr/
{
	lt_mprotect_filtered++;
}

/* User stack of the mapping or protection change just printed. */
syscall::mmap:return,
syscall::mprotect:return
/LT_USTACK && self->lt_pr/
{
	ustack();
}

/*
 * The region just became executable: print its first 16 bytes so a Mach-O or ELF magic
 * can be recognised. Skipped when it was already executable and not writable.
 */
syscall::mprotect:return
/self->lt_mp && (int64_t)arg1 == 0 && (self->lt_mp_prot & LT_PROT_EXEC) && (lt_rgn[pid, (uint64_t)self->lt_mp_addr] & (LT_PROT_WRITE | LT_PROT_EXEC)) != LT_PROT_EXEC/
{
	this->b = (uint8_t *)copyin(self->lt_mp_addr, 16);
	printf("LT1:%s\tbytes\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, self->lt_mp_addr,
	    this->b[0], this->b[1], this->b[2], this->b[3], this->b[4], this->b[5], this->b[6], this->b[7],
	    this->b[8], this->b[9], this->b[10], this->b[11], this->b[12], this->b[13], this->b[14], this->b[15]);
}

/* Mach allocations are never executable (VM_PROT_DEFAULT): printed only when unfiltered. */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return
/self->lt_va && LT_UNFILTERED/
{
	printf("LT1:%s\tvm_allocate\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_va_addr, self->lt_va_size, self->lt_va_flags, (int)arg0);
	self->lt_pr = 1;
}

/* Mach protection changes that include VM_PROT_EXECUTE, or touch a region already printed (reference macos-dtrace.md §2). */
mach_trap::_kernelrpc_mach_vm_protect_trap:return
/self->lt_vp && (LT_UNFILTERED || (self->lt_vp_prot & LT_VM_PROT_EXECUTE) || (lt_rgn[pid, (uint64_t)self->lt_vp_addr] & LT_RGN_SHOWN))/
{
	this->prev = lt_rgn[pid, (uint64_t)self->lt_vp_addr];
	printf("LT1:%s\tvm_protect\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_vp_addr, self->lt_vp_size, self->lt_vp_setmax, self->lt_vp_prot, (int)arg0,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
	self->lt_pr = 1;
}

/* Mach mappings created executable (cur_protection, reference macos-dtrace.md §2). */
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_vm && (LT_UNFILTERED || (self->lt_vm_prot & LT_VM_PROT_EXECUTE))/
{
	printf("LT1:%s\tvm_map\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%llx\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_vm_addr, self->lt_vm_size, self->lt_vm_mask, self->lt_vm_flags, self->lt_vm_prot, (int)arg0);
	self->lt_pr = 1;
}

/* User stack of the Mach call just printed. */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return,
mach_trap::_kernelrpc_mach_vm_protect_trap:return,
mach_trap::_kernelrpc_mach_vm_map_trap:return
/LT_USTACK && self->lt_pr/
{
	ustack();
}

/* A Mach protection change made the region executable: its first 16 bytes, as for mprotect. */
mach_trap::_kernelrpc_mach_vm_protect_trap:return
/self->lt_vp && arg0 == LT_KERN_SUCCESS && !self->lt_vp_setmax && (self->lt_vp_prot & LT_VM_PROT_EXECUTE) && (lt_rgn[pid, (uint64_t)self->lt_vp_addr] & (LT_VM_PROT_WRITE | LT_VM_PROT_EXECUTE)) != LT_VM_PROT_EXECUTE/
{
	this->b = (uint8_t *)copyin(self->lt_vp_addr, 16);
	printf("LT1:%s\tbytes\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, self->lt_vp_addr,
	    this->b[0], this->b[1], this->b[2], this->b[3], this->b[4], this->b[5], this->b[6], this->b[7],
	    this->b[8], this->b[9], this->b[10], this->b[11], this->b[12], this->b[13], this->b[14], this->b[15]);
}

/*
 * Remember anonymous mappings that are writable or executable, keyed by [pid, address],
 * as (flags << 8) | prot, plus LT_RGN_SHOWN once a record about the region was printed:
 * a later mprotect adding EXEC can then say what the region was.
 * MAP_ANON is 0x1000 on macOS (reference macos-dtrace.md §2). Each entry costs dynamic
 * variable space until munmap; see dynvarsize in the tool's CAVEATS.
 */
syscall::mmap:return
/self->lt_mmap && (int64_t)arg1 >= 0 && (self->lt_mmap_flags & LT_MAP_ANON) && (self->lt_mmap_prot & (LT_PROT_WRITE | LT_PROT_EXEC))/
{
	lt_rgn[pid, (uint64_t)arg1] = ((int64_t)self->lt_mmap_flags << 8) | (self->lt_mmap_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	lt_tracked++;
}

/* A successful mprotect of a remembered region updates its protection, keeping its flags; a printed change shows it. */
syscall::mprotect:return
/self->lt_mp && (int64_t)arg1 == 0 && lt_rgn[pid, (uint64_t)self->lt_mp_addr]/
{
	this->key = (uint64_t)self->lt_mp_addr;
	lt_rgn[pid, this->key] = (lt_rgn[pid, this->key] & ~0xff) | (self->lt_mp_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
}

/*
 * Mach allocations are anonymous, private and VM_PROT_DEFAULT (reference macos-dtrace.md §2):
 * remembered with MAP_ANON|MAP_PRIVATE so prevFlags decodes with the same MAP_* table.
 */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return
/self->lt_va && arg0 == LT_KERN_SUCCESS && self->lt_va_addr/
{
	lt_rgn[pid, (uint64_t)self->lt_va_addr] = ((int64_t)(LT_MAP_ANON | LT_MAP_PRIVATE) << 8) | LT_VM_PROT_DEFAULT |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	lt_tracked++;
}

/* vm_map through the trap never has a memory object (reference macos-dtrace.md §2): anonymous too. */
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_vm && arg0 == LT_KERN_SUCCESS && self->lt_vm_addr && (self->lt_vm_prot & (LT_VM_PROT_WRITE | LT_VM_PROT_EXECUTE))/
{
	lt_rgn[pid, (uint64_t)self->lt_vm_addr] = ((int64_t)(LT_MAP_ANON | LT_MAP_PRIVATE) << 8) | (self->lt_vm_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	lt_tracked++;
}

/* A successful vm_protect of a remembered region updates its protection (set_maximum changes nothing current). */
mach_trap::_kernelrpc_mach_vm_protect_trap:return
/self->lt_vp && arg0 == LT_KERN_SUCCESS && !self->lt_vp_setmax && lt_rgn[pid, (uint64_t)self->lt_vp_addr]/
{
	this->key = (uint64_t)self->lt_vp_addr;
	lt_rgn[pid, this->key] = (lt_rgn[pid, this->key] & ~0xff) | (self->lt_vp_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
}

/*
 * munmap(addr, len) of a remembered region (reference macos-dtrace.md §2): printed only when
 * the region was shown (the parser knows nothing of the others), but forgotten either way.
 */
syscall::munmap:entry
/lt_rgn[pid, (uint64_t)arg0]/
{
	self->lt_mu = 1;
	self->lt_mu_addr = arg0;
	self->lt_mu_len = arg1;
	self->lt_mu_shown = (lt_rgn[pid, (uint64_t)arg0] & LT_RGN_SHOWN) ? 1 : 0;
}

/* A shown region is gone: print it. */
syscall::munmap:return
/self->lt_mu && self->lt_mu_shown/
{
	printf("LT1:%s\tmunmap\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_mu_addr, self->lt_mu_len, (int64_t)arg1 < 0 ? -1 : (int)arg1);
}

/* Count unmaps of remembered regions the parser never saw. */
syscall::munmap:return
/self->lt_mu && !self->lt_mu_shown/
{
	lt_munmap_filtered++;
}

/* Forget the region only when the unmap succeeded. */
syscall::munmap:return
/self->lt_mu && (int64_t)arg1 == 0/
{
	lt_rgn[pid, (uint64_t)self->lt_mu_addr] = 0;
	lt_forgotten++;
}

/* _kernelrpc_mach_vm_deallocate_trap(target, address, size) of a remembered region (reference macos-dtrace.md §2). */
mach_trap::_kernelrpc_mach_vm_deallocate_trap:entry
/lt_rgn[pid, (uint64_t)arg1]/
{
	self->lt_vd = 1;
	self->lt_vd_addr = arg1;
	self->lt_vd_size = arg2;
	self->lt_vd_shown = (lt_rgn[pid, (uint64_t)arg1] & LT_RGN_SHOWN) ? 1 : 0;
}

/* A shown Mach region is gone: print it. */
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
/self->lt_vd && self->lt_vd_shown/
{
	printf("LT1:%s\tvm_deallocate\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_vd_addr, self->lt_vd_size, (int)arg0);
}

/* Forget it when the deallocation succeeded. */
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
/self->lt_vd && arg0 == LT_KERN_SUCCESS/
{
	lt_rgn[pid, (uint64_t)self->lt_vd_addr] = 0;
	lt_forgotten++;
}

/* Clear the saved unmap arguments. */
syscall::munmap:return,
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
/self->lt_mu || self->lt_vd/
{
	self->lt_mu = 0;
	self->lt_mu_addr = 0;
	self->lt_mu_len = 0;
	self->lt_mu_shown = 0;
	self->lt_vd = 0;
	self->lt_vd_addr = 0;
	self->lt_vd_size = 0;
	self->lt_vd_shown = 0;
}

/* Clear the saved mmap arguments and the printed flag. */
syscall::mmap:return
/self->lt_mmap/
{
	self->lt_mmap = 0;
	self->lt_mmap_addr = 0;
	self->lt_mmap_len = 0;
	self->lt_mmap_prot = 0;
	self->lt_mmap_flags = 0;
	self->lt_mmap_fd = 0;
	self->lt_mmap_off = 0;
	self->lt_pr = 0;
}

/* Clear the saved mprotect arguments. */
syscall::mprotect:return
/self->lt_mp/
{
	self->lt_mp = 0;
	self->lt_mp_addr = 0;
	self->lt_mp_len = 0;
	self->lt_mp_prot = 0;
	self->lt_pr = 0;
}

/* Clear the saved Mach trap arguments. */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return,
mach_trap::_kernelrpc_mach_vm_protect_trap:return,
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_va || self->lt_vp || self->lt_vm/
{
	self->lt_va = 0;
	self->lt_va_ptr = 0;
	self->lt_va_size = 0;
	self->lt_va_flags = 0;
	self->lt_va_addr = 0;
	self->lt_vp = 0;
	self->lt_vp_addr = 0;
	self->lt_vp_size = 0;
	self->lt_vp_setmax = 0;
	self->lt_vp_prot = 0;
	self->lt_vm = 0;
	self->lt_vm_ptr = 0;
	self->lt_vm_size = 0;
	self->lt_vm_mask = 0;
	self->lt_vm_flags = 0;
	self->lt_vm_prot = 0;
	self->lt_vm_addr = 0;
	self->lt_pr = 0;
}

/* Forget exited processes so the follow set does not grow (reference macos-dtrace.md §7: proc:::exit). */
proc:::exit
/lt_follow[pid]/
{
	lt_follow[pid] = 0;
}

/* rwxsnoop's own counters: regions remembered and forgotten, events filtered in the kernel. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "regions_tracked", lt_tracked);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "regions_forgotten", lt_forgotten);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "mmap_filtered", lt_mmap_filtered);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "mprotect_filtered", lt_mprotect_filtered);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "munmap_filtered", lt_munmap_filtered);
}

/* How many trailer records this script prints besides this one, so that a reader can tell when some never arrived. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "trailers", LT_TRAILERS);
}
