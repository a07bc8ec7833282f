/*
 * rwxsnoop.d - executable, MAP_JIT and Mach VM mappings, protection changes to EXEC with the previous protection, first bytes of regions that become executable
 *
 * USAGE
 *   dtrace -q -Z -s rwxsnoop.d -p PID          # one process
 *   dtrace -q -Z -s rwxsnoop.d -c 'CMD ARGS'   # a command
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
 *   kind vm_remap: fn addr size flags task srcTask srcAddr copy cur max kr prevProt prevFlags
 *       fn          mach_vm_remap, vm_remap, mach_vm_remap_new or vm_remap_new
 *       addr        address of the new view, read back from the in/out pointer; 0 when kr is not 0
 *       size        size in bytes
 *       flags       VM_FLAGS_* bits
 *       task        target task port name, as the caller names it
 *       srcTask     source task port name, as the caller names it: the same as task for an alias in one process
 *       srcAddr     source address
 *       copy        0: the new view shares the source memory; non-zero: it is a copy
 *       cur         current VM_PROT_* bits of the new view, read back at return; -1 when kr is not 0
 *       max         maximum VM_PROT_* bits of the new view, read back at return; -1 when kr is not 0
 *       kr          kern_return_t, 0 = KERN_SUCCESS
 *       prevProt    protection the script saw the source address mapped with, -1 if untracked
 *       prevFlags   flags the script saw the source address mapped with, -1 if untracked
 *   kind trailer: counter value
 *       counter     counter name
 *       value       counter value
 *
 * OVERHEAD
 *   Every mmap/mprotect/munmap (and Mach VM trap) of the traced processes fires
 *   a probe, and on Linux every openat, tested in the kernel for a /dev/shm/
 *   path with a 10-byte read; only what touches executable memory is printed:
 *   mappings and protection changes with EXEC, and later changes and unmaps of
 *   regions already printed. Region memory: a fixed ring per process, whatever
 *   it maps (D: at most 33 dynamic variables; bpftrace: 9 map keys), freed at
 *   exec and exit.
 *
 * CAVEATS
 *   - Anonymous writable mappings are remembered, not printed; regions mapped
 *     before tracing began are untracked (prevProt -1).
 *   - A ring of 8 ranges per process (D and bpftrace alike) answers for any
 *     address inside a remembered mapping (a protection change or unmap of part
 *     of it, mremap moves on Linux, fork copies); prevProt/prevFlags are those
 *     of the range holding the first address, so a change spanning mappings with
 *     different protections reports the first. A 9th live range pushes out the
 *     oldest, counted in regions_evicted; a change there is then untracked
 *     (prevProt -1).
 *   - DTrace on macOS: mach_vm_remap, vm_remap and their _new forms are
 *     libsystem_kernel functions over a MIG message (mach_msg), not Mach traps:
 *     they are traced with the pid provider, so only for -p and -c targets
 *     (docs/platforms/macos.md §2); system-wide or by name a remapped alias is
 *     not followed, and a change made through it is untracked (prevProt -1). A
 *     remap into or out of another task is printed but not followed. Under SIP
 *     the child of proc:::create cannot be read, so a forked child starts with
 *     an empty ring.
 *   - Double mappings are linked through a memfd's own fd, every fd opened on
 *     one /dev/shm name (shm_open, seen as openat; open(2) and openat2 are not
 *     traced) and a Mach remap with copy FALSE, and through dup, dup3 and
 *     fcntl(F_DUPFD, F_DUPFD_CLOEXEC) of such an fd; not through /proc/self/fd,
 *     nor through dup2 with bpftrace (its tracepoint exists on x86-64 only, and
 *     a missing one fails the script; the D scripts follow it where the system
 *     call exists). A /dev/shm name unlinked and made again is taken for the
 *     same object unless O_CREAT|O_EXCL made it. Pages are taken to be 4 KiB (on
 *     Apple silicon's 16 KiB pages, the part of a last page past a length that
 *     is not a multiple of 16 KiB is untracked).
 *   - DTrace: raise dynvarsize when "dynamic variable drops" appear; the region
 *     ring is freed at exec and exit, other per-process entries of exited
 *     processes are not.
 *   - DTrace: Mach traps act on a task port; the record is attributed to the
 *     calling process even when the target is another task.
 *   - Bytes are read from the caller's memory when protection changes; a page
 *     not resident faults and shows as a probe error.
 *   - Per-thread JIT write-protect flips (pthread_jit_write_protect_np) make no
 *     system call and are not seen.
 *   - bpftrace: Linux has no MAP_JIT and no Mach traps; memfd_create, opens of
 *     /dev/shm/ paths and the mappings of both are printed instead. Map keys are
 *     capped by BPFTRACE_MAP_KEYS_MAX.
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
inline string LT_NONCE = "0000000000000000";
inline string LT_TOOL = "rwxsnoop";
inline string LT_OS = "darwin";
inline int LT_ALL = 0;
inline string LT_NAME = "";
inline int LT_UID = -1;
inline int LT_STRSIZE = 256;
inline int LT_USTACK = 0;
inline int LT_UNFILTERED = 0;
inline int LT_DURATION = 0;
inline int LT_SAMPLE_LIMIT = 50;
inline int LT_TRAILERS = 6;
inline int LT_SELF_PID = 0;
inline int LT_NOT_SELF = 1;

/* Flag values of xnu bsd/sys/mman.h and osfmk/mach/vm_prot.h (docs/platforms/macos.md §2). */
inline int LT_PROT_WRITE = 0x2;
inline int LT_PROT_EXEC = 0x4;
inline int LT_MAP_PRIVATE = 0x2;
inline int LT_MAP_FIXED = 0x10;
inline int LT_MAP_JIT = 0x800;
inline int LT_MAP_ANON = 0x1000;
inline int LT_VM_PROT_DEFAULT = 0x3;
inline int LT_VM_PROT_WRITE = 0x2;
inline int LT_VM_PROT_EXECUTE = 0x4;
/* mach_trap return probes put the kern_return_t in arg0, 0 = KERN_SUCCESS (docs/platforms/macos.md §2). */
inline int LT_KERN_SUCCESS = 0;
/*
 * The region ring (rwx-track) rounds a length up to a 4 KiB page. Apple silicon has 16 KiB
 * pages: there the rest of a last page stays untracked rather than claiming memory that may
 * belong to the next mapping.
 */
inline int LT_PAGE_MASK = 0xfff;
/*
 * Bit 30 of a remembered region's value ((flags << 8) | prot): a record about the region was
 * printed, so the parser knows it and its unmap matters. macOS MAP_* flags end at MAP_TPRO
 * 0x80000 (docs/platforms/macos.md §2), so flags << 8 stays below it.
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

/* Seed the follow set with the traced process: $target is the -p pid or the -c child (docs/platforms/macos.md §6). */
BEGIN
{
	lt_follow[$target] = 1;
}

/*
 * Follow children as they are created: proc:::create args[0] is the child's psinfo_t
 * (docs/platforms/macos.md §7). Under SIP this translator read faults (§6); the
 * exec-success adoption below still follows children that exec.
 */
proc:::create
/lt_follow[pid]/
{
	lt_follow[args[0]->pr_pid] = 1;
}

/*
 * A new image whose parent is followed is followed too. exec-success fires in the new
 * image, and pid/ppid builtins keep working under SIP (docs/platforms/macos.md §6, §7).
 */
proc:::exec-success
/lt_follow[ppid] && !lt_follow[pid]/
{
	lt_follow[pid] = 1;
}

/*
 * Find the newest slot of the region ring (rwx-track describes the ring) that holds the address
 * this->a, before a call changes it: its value this->bv, slot this->bk, start this->bs and end
 * this->be, or zeros and slot -1 when no slot holds it. Newest is the highest seq (lt_rq): an
 * older slot under a newer one describes what was there before.
 *
 * D has no functions: these statements are a template, written once here and written out by the
 * generator in place of each line ${ring-find} of a clause body in a D fragment (rwx-args for
 * mprotect and the Mach protect trap, mremap, remap), which sets this->a first and copies what it
 * needs of the result into thread-local variables for its return probe.
 */

/*
 * The region ring's slots, keyed by [pid, slot]: start, end, value and seq (see rwx-track), and
 * the per-process seq counter. Declared here because the entry clauses below search them before
 * rwx-track assigns them, and D rejects that undeclared.
 */
uint64_t lt_rs[int, int];
uint64_t lt_re[int, int];
int64_t lt_rv[int, int];
uint64_t lt_rq[int, int];
uint64_t lt_rn[int];
/* memfd descriptors per [pid, fd] (Linux only: see the memfd fragment); never set on macOS. */
int lt_memfd[int, int];

/*
 * mmap(addr, len, prot, flags, fd, pos): keep the arguments for the return probe, where
 * the result is known (docs/platforms/macos.md §2: arg0..arg5 in prototype order).
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

/*
 * mprotect(addr, len, prot) (docs/platforms/macos.md §2), with the remembered range holding
 * addr: the newest slot of the region ring that holds it (rwx-track), its value, slot, start and
 * end, or zeros and slot -1 when no slot holds it. Searched at entry, before the change.
 */
syscall::mprotect:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_mp = 1;
	self->lt_mp_addr = arg0;
	self->lt_mp_len = arg1;
	self->lt_mp_prot = (int)arg2;
	this->a = (uint64_t)arg0;
	this->bq = (uint64_t)0;
	this->bv = (int64_t)0;
	this->bk = -1;
	this->bs = (uint64_t)0;
	this->be = (uint64_t)0;
	this->h = lt_rq[pid, 0] > this->bq && this->a >= lt_rs[pid, 0] && this->a < lt_re[pid, 0];
	this->bv = this->h ? lt_rv[pid, 0] : this->bv;
	this->bk = this->h ? 0 : this->bk;
	this->bs = this->h ? lt_rs[pid, 0] : this->bs;
	this->be = this->h ? lt_re[pid, 0] : this->be;
	this->bq = this->h ? lt_rq[pid, 0] : this->bq;
	this->h = lt_rq[pid, 1] > this->bq && this->a >= lt_rs[pid, 1] && this->a < lt_re[pid, 1];
	this->bv = this->h ? lt_rv[pid, 1] : this->bv;
	this->bk = this->h ? 1 : this->bk;
	this->bs = this->h ? lt_rs[pid, 1] : this->bs;
	this->be = this->h ? lt_re[pid, 1] : this->be;
	this->bq = this->h ? lt_rq[pid, 1] : this->bq;
	this->h = lt_rq[pid, 2] > this->bq && this->a >= lt_rs[pid, 2] && this->a < lt_re[pid, 2];
	this->bv = this->h ? lt_rv[pid, 2] : this->bv;
	this->bk = this->h ? 2 : this->bk;
	this->bs = this->h ? lt_rs[pid, 2] : this->bs;
	this->be = this->h ? lt_re[pid, 2] : this->be;
	this->bq = this->h ? lt_rq[pid, 2] : this->bq;
	this->h = lt_rq[pid, 3] > this->bq && this->a >= lt_rs[pid, 3] && this->a < lt_re[pid, 3];
	this->bv = this->h ? lt_rv[pid, 3] : this->bv;
	this->bk = this->h ? 3 : this->bk;
	this->bs = this->h ? lt_rs[pid, 3] : this->bs;
	this->be = this->h ? lt_re[pid, 3] : this->be;
	this->bq = this->h ? lt_rq[pid, 3] : this->bq;
	this->h = lt_rq[pid, 4] > this->bq && this->a >= lt_rs[pid, 4] && this->a < lt_re[pid, 4];
	this->bv = this->h ? lt_rv[pid, 4] : this->bv;
	this->bk = this->h ? 4 : this->bk;
	this->bs = this->h ? lt_rs[pid, 4] : this->bs;
	this->be = this->h ? lt_re[pid, 4] : this->be;
	this->bq = this->h ? lt_rq[pid, 4] : this->bq;
	this->h = lt_rq[pid, 5] > this->bq && this->a >= lt_rs[pid, 5] && this->a < lt_re[pid, 5];
	this->bv = this->h ? lt_rv[pid, 5] : this->bv;
	this->bk = this->h ? 5 : this->bk;
	this->bs = this->h ? lt_rs[pid, 5] : this->bs;
	this->be = this->h ? lt_re[pid, 5] : this->be;
	this->bq = this->h ? lt_rq[pid, 5] : this->bq;
	this->h = lt_rq[pid, 6] > this->bq && this->a >= lt_rs[pid, 6] && this->a < lt_re[pid, 6];
	this->bv = this->h ? lt_rv[pid, 6] : this->bv;
	this->bk = this->h ? 6 : this->bk;
	this->bs = this->h ? lt_rs[pid, 6] : this->bs;
	this->be = this->h ? lt_re[pid, 6] : this->be;
	this->bq = this->h ? lt_rq[pid, 6] : this->bq;
	this->h = lt_rq[pid, 7] > this->bq && this->a >= lt_rs[pid, 7] && this->a < lt_re[pid, 7];
	this->bv = this->h ? lt_rv[pid, 7] : this->bv;
	this->bk = this->h ? 7 : this->bk;
	this->bs = this->h ? lt_rs[pid, 7] : this->bs;
	this->be = this->h ? lt_re[pid, 7] : this->be;
	this->bq = this->h ? lt_rq[pid, 7] : this->bq;
	self->lt_mp_prev = this->bv;
	self->lt_mp_slot = this->bk;
	self->lt_mp_rs = this->bs;
	self->lt_mp_re = this->be;
}

/*
 * _kernelrpc_mach_vm_allocate_trap(target, addr*, size, flags): arg1 points to the
 * in/out address (docs/platforms/macos.md §2).
 */
mach_trap::_kernelrpc_mach_vm_allocate_trap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_va = 1;
	self->lt_va_ptr = arg1;
	self->lt_va_size = arg2;
	self->lt_va_flags = (int)arg3;
}

/* The kernel has copied the allocated address out to arg1's pointer: read it back now (docs/platforms/macos.md §2). */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return
/self->lt_va && self->lt_va_ptr/
{
	self->lt_va_addr = *(uint64_t *)copyin(self->lt_va_ptr, 8);
}

/*
 * _kernelrpc_mach_vm_protect_trap(target, address, size, set_maximum, new_protection): arg0..arg4
 * (docs/platforms/macos.md §2), with the remembered range holding address, as for mprotect.
 */
mach_trap::_kernelrpc_mach_vm_protect_trap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_vp = 1;
	self->lt_vp_addr = arg1;
	self->lt_vp_size = arg2;
	self->lt_vp_setmax = (int)arg3;
	self->lt_vp_prot = (int)arg4;
	this->a = (uint64_t)arg1;
	this->bq = (uint64_t)0;
	this->bv = (int64_t)0;
	this->bk = -1;
	this->bs = (uint64_t)0;
	this->be = (uint64_t)0;
	this->h = lt_rq[pid, 0] > this->bq && this->a >= lt_rs[pid, 0] && this->a < lt_re[pid, 0];
	this->bv = this->h ? lt_rv[pid, 0] : this->bv;
	this->bk = this->h ? 0 : this->bk;
	this->bs = this->h ? lt_rs[pid, 0] : this->bs;
	this->be = this->h ? lt_re[pid, 0] : this->be;
	this->bq = this->h ? lt_rq[pid, 0] : this->bq;
	this->h = lt_rq[pid, 1] > this->bq && this->a >= lt_rs[pid, 1] && this->a < lt_re[pid, 1];
	this->bv = this->h ? lt_rv[pid, 1] : this->bv;
	this->bk = this->h ? 1 : this->bk;
	this->bs = this->h ? lt_rs[pid, 1] : this->bs;
	this->be = this->h ? lt_re[pid, 1] : this->be;
	this->bq = this->h ? lt_rq[pid, 1] : this->bq;
	this->h = lt_rq[pid, 2] > this->bq && this->a >= lt_rs[pid, 2] && this->a < lt_re[pid, 2];
	this->bv = this->h ? lt_rv[pid, 2] : this->bv;
	this->bk = this->h ? 2 : this->bk;
	this->bs = this->h ? lt_rs[pid, 2] : this->bs;
	this->be = this->h ? lt_re[pid, 2] : this->be;
	this->bq = this->h ? lt_rq[pid, 2] : this->bq;
	this->h = lt_rq[pid, 3] > this->bq && this->a >= lt_rs[pid, 3] && this->a < lt_re[pid, 3];
	this->bv = this->h ? lt_rv[pid, 3] : this->bv;
	this->bk = this->h ? 3 : this->bk;
	this->bs = this->h ? lt_rs[pid, 3] : this->bs;
	this->be = this->h ? lt_re[pid, 3] : this->be;
	this->bq = this->h ? lt_rq[pid, 3] : this->bq;
	this->h = lt_rq[pid, 4] > this->bq && this->a >= lt_rs[pid, 4] && this->a < lt_re[pid, 4];
	this->bv = this->h ? lt_rv[pid, 4] : this->bv;
	this->bk = this->h ? 4 : this->bk;
	this->bs = this->h ? lt_rs[pid, 4] : this->bs;
	this->be = this->h ? lt_re[pid, 4] : this->be;
	this->bq = this->h ? lt_rq[pid, 4] : this->bq;
	this->h = lt_rq[pid, 5] > this->bq && this->a >= lt_rs[pid, 5] && this->a < lt_re[pid, 5];
	this->bv = this->h ? lt_rv[pid, 5] : this->bv;
	this->bk = this->h ? 5 : this->bk;
	this->bs = this->h ? lt_rs[pid, 5] : this->bs;
	this->be = this->h ? lt_re[pid, 5] : this->be;
	this->bq = this->h ? lt_rq[pid, 5] : this->bq;
	this->h = lt_rq[pid, 6] > this->bq && this->a >= lt_rs[pid, 6] && this->a < lt_re[pid, 6];
	this->bv = this->h ? lt_rv[pid, 6] : this->bv;
	this->bk = this->h ? 6 : this->bk;
	this->bs = this->h ? lt_rs[pid, 6] : this->bs;
	this->be = this->h ? lt_re[pid, 6] : this->be;
	this->bq = this->h ? lt_rq[pid, 6] : this->bq;
	this->h = lt_rq[pid, 7] > this->bq && this->a >= lt_rs[pid, 7] && this->a < lt_re[pid, 7];
	this->bv = this->h ? lt_rv[pid, 7] : this->bv;
	this->bk = this->h ? 7 : this->bk;
	this->bs = this->h ? lt_rs[pid, 7] : this->bs;
	this->be = this->h ? lt_re[pid, 7] : this->be;
	this->bq = this->h ? lt_rq[pid, 7] : this->bq;
	self->lt_vp_prev = this->bv;
	self->lt_vp_slot = this->bk;
	self->lt_vp_rs = this->bs;
	self->lt_vp_re = this->be;
}

/*
 * _kernelrpc_mach_vm_map_trap(target, addr*, size, mask, flags, cur_protection):
 * arg1 is in/out, cur_protection is arg5 (docs/platforms/macos.md §2).
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

/* Read back the mapped address from the in/out pointer (docs/platforms/macos.md §2). */
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_vm && self->lt_vm_ptr/
{
	self->lt_vm_addr = *(uint64_t *)copyin(self->lt_vm_ptr, 8);
}

/*
 * Print every mapping that is executable, MAP_JIT or of a memfd. The return value is in
 * arg1: -1 (MAP_FAILED) on failure on macOS (docs/platforms/macos.md §2), the raw
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
 * prevProt/prevFlags come from the region ring (the range holding the start address, found at
 * entry, rwx-args), -1 when untracked.
 */
syscall::mprotect:return
/self->lt_mp && (LT_UNFILTERED || (self->lt_mp_prot & LT_PROT_EXEC) || (self->lt_mp_prev & LT_RGN_SHOWN))/
{
	this->prev = self->lt_mp_prev;
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
/self->lt_mp && (int64_t)arg1 == 0 && (self->lt_mp_prot & LT_PROT_EXEC) && (self->lt_mp_prev & (LT_PROT_WRITE | LT_PROT_EXEC)) != LT_PROT_EXEC/
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

/* Mach protection changes that include VM_PROT_EXECUTE, or touch a region already printed (docs/platforms/macos.md §2). */
mach_trap::_kernelrpc_mach_vm_protect_trap:return
/self->lt_vp && (LT_UNFILTERED || (self->lt_vp_prot & LT_VM_PROT_EXECUTE) || (self->lt_vp_prev & LT_RGN_SHOWN))/
{
	this->prev = self->lt_vp_prev;
	printf("LT1:%s\tvm_protect\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_vp_addr, self->lt_vp_size, self->lt_vp_setmax, self->lt_vp_prot, (int)arg0,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
	self->lt_pr = 1;
}

/* Mach mappings created executable (cur_protection, docs/platforms/macos.md §2). */
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
/self->lt_vp && arg0 == LT_KERN_SUCCESS && !self->lt_vp_setmax && (self->lt_vp_prot & LT_VM_PROT_EXECUTE) && (self->lt_vp_prev & (LT_VM_PROT_WRITE | LT_VM_PROT_EXECUTE)) != LT_VM_PROT_EXECUTE/
{
	this->b = (uint8_t *)copyin(self->lt_vp_addr, 16);
	printf("LT1:%s\tbytes\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, self->lt_vp_addr,
	    this->b[0], this->b[1], this->b[2], this->b[3], this->b[4], this->b[5], this->b[6], this->b[7],
	    this->b[8], this->b[9], this->b[10], this->b[11], this->b[12], this->b[13], this->b[14], this->b[15]);
}

/*
 * Apply one change to the region ring (rwx-track describes the ring): drop the slots the range
 * covers entirely (a mapping dropped so is counted in lt_forgotten), then add the change's slot,
 * or its hole where the range cuts a slot it does not cover, in a free slot, else in the oldest
 * one (a live mapping pushed out so is counted in lt_evicted, regions_evicted), or rewrite slot
 * this->skip in place when the change covers exactly that slot.
 *
 * D has no functions: these statements are a template, written once here and written out by the
 * generator in place of each line ${ring-apply} of a clause body in a D fragment (rwx-track and
 * remap: one clause per probe list, after the clauses that describe their calls' changes; mremap:
 * twice in one clause, for the two changes of one call). The declarations below go once into a
 * script, before the first fragment that asks for the template. The clause sets the change
 * first, in every firing, since clause-local variables outlive a firing:
 *   this->s, this->e  the range [s, e), page-aligned (LT_PAGE_MASK);
 *   this->v           the new slot's value ((flags << 8) | prot, plus LT_RGN_SHOWN), 0 for a hole;
 *   this->skip        a slot the change must keep (the one a protection change lies in), -1 for none;
 *   this->always      1 to add a slot, 0 to add a hole only where the range cuts a slot;
 *   this->whole       1 to rewrite slot this->skip in place.
 * The counters are declared because these statements read them first.
 */
int lt_forgotten;
int lt_evicted;
this uint64_t s;
this uint64_t e;
this int64_t v;
this int skip;
this int always;
this int whole;

/*
 * The region ring: what each process mapped, as the kernel's own map of its memory would say
 * for any address, within a fixed budget (the same ring as the bpftrace scripts keep, so the
 * engine sees the same records from either tracer). A process has 8 slots, keyed by [pid, slot]
 * in four arrays (lt_rs start, lt_re end, lt_rv value, lt_rq seq; declared in rwx-args): value
 * is (flags << 8) | prot of an anonymous writable or executable mapping (plus LT_RGN_SHOWN once a
 * record about it was printed, so the parser knows it and its unmap matters), or 0 for a hole (a
 * range unmapped, or mapped over by something untracked, that hides an older slot); seq orders
 * slots, the newest slot holding an address tells what it is, so a protection change or unmap of
 * part of a mapping needs only one new slot on top of it. Every change first drops the slots it
 * covers entirely; a new slot takes a free slot, else the oldest one, and a live mapping dropped
 * that way is counted in regions_evicted. D has no loops: each search is written out once per
 * slot, so the work is bounded and a process holds at most 33 dynamic variables, freed at exec
 * and exit. Pages are taken to be 4 KiB (LT_PAGE_MASK): a range's end is its length rounded up.
 *
 * A change is described by the clause of the call that made it (this->s, this->e, this->v,
 * this->skip, this->always, this->whole: see ring-apply, which declares them) and applied once,
 * by one clause for every call below, whose body is ring-apply's statements.
 */

/* No change unless a clause below asks for one: clause-local variables outlive a firing. */
syscall::mmap:return,
syscall::mprotect:return,
syscall::munmap:return,
mach_trap::_kernelrpc_mach_vm_allocate_trap:return,
mach_trap::_kernelrpc_mach_vm_map_trap:return,
mach_trap::_kernelrpc_mach_vm_protect_trap:return,
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
{
	this->rc = 0;
	this->s = (uint64_t)0;
	this->e = (uint64_t)0;
	this->v = (int64_t)0;
	this->skip = -1;
	this->always = 0;
	this->whole = 0;
}

/*
 * A new anonymous writable or executable mapping takes a slot. MAP_ANON is 0x1000 on macOS
 * (docs/platforms/macos.md §2).
 */
syscall::mmap:return
/self->lt_mmap && (int64_t)arg1 >= 0 && (self->lt_mmap_flags & LT_MAP_ANON) && (self->lt_mmap_prot & (LT_PROT_WRITE | LT_PROT_EXEC))/
{
	this->rc = 1;
	this->s = (uint64_t)arg1;
	this->e = this->s + (((uint64_t)self->lt_mmap_len + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = ((int64_t)self->lt_mmap_flags << 8) | (self->lt_mmap_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	this->always = 1;
	lt_tracked++;
}

/*
 * Anything else mapped MAP_FIXED replaces what was there: the slots it covers go, and a hole
 * hides the part of a slot it covers partly.
 */
syscall::mmap:return
/self->lt_mmap && (int64_t)arg1 >= 0 && lt_rn[pid] && (self->lt_mmap_flags & LT_MAP_FIXED) && !((self->lt_mmap_flags & LT_MAP_ANON) && (self->lt_mmap_prot & (LT_PROT_WRITE | LT_PROT_EXEC)))/
{
	this->rc = 1;
	this->s = (uint64_t)arg1;
	this->e = this->s + (((uint64_t)self->lt_mmap_len + LT_PAGE_MASK) & ~LT_PAGE_MASK);
}

/*
 * A successful mprotect of a remembered range (the slot found at entry, rwx-args): the whole
 * slot changes in place; part of it gets a slot of its own on top, with the mapping's flags and
 * the new protection. A printed change (rwx-print) shows the range and the slot it lies in.
 */
syscall::mprotect:return
/self->lt_mp && (int64_t)arg1 == 0 && self->lt_mp_prev != 0/
{
	this->rc = 1;
	this->s = (uint64_t)self->lt_mp_addr;
	this->e = this->s + (((uint64_t)self->lt_mp_len + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = (self->lt_mp_prev & ~(0xff | LT_RGN_SHOWN)) | (self->lt_mp_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	this->skip = self->lt_mp_slot;
	this->always = 1;
	this->whole = self->lt_mp_rs == this->s && self->lt_mp_re == this->e;
	lt_rv[pid, this->skip] = !this->whole && self->lt_pr && lt_rq[pid, this->skip] != 0 ?
	    lt_rv[pid, this->skip] | LT_RGN_SHOWN : lt_rv[pid, this->skip];
}

/*
 * Mach allocations are anonymous, private and VM_PROT_DEFAULT (docs/platforms/macos.md §2):
 * remembered with MAP_ANON|MAP_PRIVATE so prevFlags decodes with the same MAP_* table.
 */
mach_trap::_kernelrpc_mach_vm_allocate_trap:return
/self->lt_va && arg0 == LT_KERN_SUCCESS && self->lt_va_addr/
{
	this->rc = 1;
	this->s = (uint64_t)self->lt_va_addr;
	this->e = this->s + (((uint64_t)self->lt_va_size + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = ((int64_t)(LT_MAP_ANON | LT_MAP_PRIVATE) << 8) | LT_VM_PROT_DEFAULT |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	this->always = 1;
	lt_tracked++;
}

/* vm_map through the trap never has a memory object (docs/platforms/macos.md §2): anonymous too. */
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_vm && arg0 == LT_KERN_SUCCESS && self->lt_vm_addr && (self->lt_vm_prot & (LT_VM_PROT_WRITE | LT_VM_PROT_EXECUTE))/
{
	this->rc = 1;
	this->s = (uint64_t)self->lt_vm_addr;
	this->e = this->s + (((uint64_t)self->lt_vm_size + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = ((int64_t)(LT_MAP_ANON | LT_MAP_PRIVATE) << 8) | (self->lt_vm_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	this->always = 1;
	lt_tracked++;
}

/* A successful vm_protect of a remembered range, as for mprotect (set_maximum changes nothing current). */
mach_trap::_kernelrpc_mach_vm_protect_trap:return
/self->lt_vp && arg0 == LT_KERN_SUCCESS && !self->lt_vp_setmax && self->lt_vp_prev != 0/
{
	this->rc = 1;
	this->s = (uint64_t)self->lt_vp_addr;
	this->e = this->s + (((uint64_t)self->lt_vp_size + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = (self->lt_vp_prev & ~(0xff | LT_RGN_SHOWN)) | (self->lt_vp_prot & 0xff) |
	    (self->lt_pr ? LT_RGN_SHOWN : 0);
	this->skip = self->lt_vp_slot;
	this->always = 1;
	this->whole = self->lt_vp_rs == this->s && self->lt_vp_re == this->e;
	lt_rv[pid, this->skip] = !this->whole && self->lt_pr && lt_rq[pid, this->skip] != 0 ?
	    lt_rv[pid, this->skip] | LT_RGN_SHOWN : lt_rv[pid, this->skip];
}

/*
 * munmap(addr, len) touching a remembered range (docs/platforms/macos.md §2): printed only
 * when one of them was shown (the parser knows nothing of the others), but forgotten either way.
 */
syscall::munmap:entry
/lt_rn[pid]/
{
	this->s = (uint64_t)arg0;
	this->e = this->s + (((uint64_t)arg1 + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->any = 0;
	this->shown = 0;
	this->h = lt_rq[pid, 0] != 0 && lt_rv[pid, 0] != 0 && lt_rs[pid, 0] < this->e && lt_re[pid, 0] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 0] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 1] != 0 && lt_rv[pid, 1] != 0 && lt_rs[pid, 1] < this->e && lt_re[pid, 1] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 1] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 2] != 0 && lt_rv[pid, 2] != 0 && lt_rs[pid, 2] < this->e && lt_re[pid, 2] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 2] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 3] != 0 && lt_rv[pid, 3] != 0 && lt_rs[pid, 3] < this->e && lt_re[pid, 3] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 3] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 4] != 0 && lt_rv[pid, 4] != 0 && lt_rs[pid, 4] < this->e && lt_re[pid, 4] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 4] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 5] != 0 && lt_rv[pid, 5] != 0 && lt_rs[pid, 5] < this->e && lt_re[pid, 5] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 5] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 6] != 0 && lt_rv[pid, 6] != 0 && lt_rs[pid, 6] < this->e && lt_re[pid, 6] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 6] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 7] != 0 && lt_rv[pid, 7] != 0 && lt_rs[pid, 7] < this->e && lt_re[pid, 7] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 7] & LT_RGN_SHOWN));
	self->lt_mu = this->any;
	self->lt_mu_addr = this->any ? arg0 : 0;
	self->lt_mu_len = this->any ? arg1 : 0;
	self->lt_mu_shown = this->shown;
}

/* A shown range is gone: print it. */
syscall::munmap:return
/self->lt_mu && self->lt_mu_shown/
{
	printf("LT1:%s\tmunmap\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_mu_addr, self->lt_mu_len, (int64_t)arg1 < 0 ? -1 : (int)arg1);
}

/* Count unmaps of remembered ranges the parser never saw. */
syscall::munmap:return
/self->lt_mu && !self->lt_mu_shown/
{
	lt_munmap_filtered++;
}

/* On success the unmapped range leaves a hole. */
syscall::munmap:return
/self->lt_mu && (int64_t)arg1 == 0/
{
	this->rc = 1;
	this->s = (uint64_t)self->lt_mu_addr;
	this->e = this->s + (((uint64_t)self->lt_mu_len + LT_PAGE_MASK) & ~LT_PAGE_MASK);
}

/* _kernelrpc_mach_vm_deallocate_trap(target, address, size) touching a remembered range (docs/platforms/macos.md §2). */
mach_trap::_kernelrpc_mach_vm_deallocate_trap:entry
/lt_rn[pid]/
{
	this->s = (uint64_t)arg1;
	this->e = this->s + (((uint64_t)arg2 + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->any = 0;
	this->shown = 0;
	this->h = lt_rq[pid, 0] != 0 && lt_rv[pid, 0] != 0 && lt_rs[pid, 0] < this->e && lt_re[pid, 0] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 0] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 1] != 0 && lt_rv[pid, 1] != 0 && lt_rs[pid, 1] < this->e && lt_re[pid, 1] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 1] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 2] != 0 && lt_rv[pid, 2] != 0 && lt_rs[pid, 2] < this->e && lt_re[pid, 2] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 2] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 3] != 0 && lt_rv[pid, 3] != 0 && lt_rs[pid, 3] < this->e && lt_re[pid, 3] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 3] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 4] != 0 && lt_rv[pid, 4] != 0 && lt_rs[pid, 4] < this->e && lt_re[pid, 4] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 4] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 5] != 0 && lt_rv[pid, 5] != 0 && lt_rs[pid, 5] < this->e && lt_re[pid, 5] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 5] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 6] != 0 && lt_rv[pid, 6] != 0 && lt_rs[pid, 6] < this->e && lt_re[pid, 6] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 6] & LT_RGN_SHOWN));
	this->h = lt_rq[pid, 7] != 0 && lt_rv[pid, 7] != 0 && lt_rs[pid, 7] < this->e && lt_re[pid, 7] > this->s;
	this->any = this->any || this->h;
	this->shown = this->shown || (this->h && (lt_rv[pid, 7] & LT_RGN_SHOWN));
	self->lt_vd = this->any;
	self->lt_vd_addr = this->any ? arg1 : 0;
	self->lt_vd_size = this->any ? arg2 : 0;
	self->lt_vd_shown = this->shown;
}

/* A shown Mach region is gone: print it. */
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
/self->lt_vd && self->lt_vd_shown/
{
	printf("LT1:%s\tvm_deallocate\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_vd_addr, self->lt_vd_size, (int)arg0);
}

/* On success the deallocated range leaves a hole. */
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
/self->lt_vd && arg0 == LT_KERN_SUCCESS/
{
	this->rc = 1;
	this->s = (uint64_t)self->lt_vd_addr;
	this->e = this->s + (((uint64_t)self->lt_vd_size + LT_PAGE_MASK) & ~LT_PAGE_MASK);
}

/* The change asked for above: drop the slots it covers, then add its slot or hole. */
syscall::mmap:return,
syscall::mprotect:return,
syscall::munmap:return,
mach_trap::_kernelrpc_mach_vm_allocate_trap:return,
mach_trap::_kernelrpc_mach_vm_map_trap:return,
mach_trap::_kernelrpc_mach_vm_protect_trap:return,
mach_trap::_kernelrpc_mach_vm_deallocate_trap:return
/this->rc/
{
	this->free = -1;
	this->old = 0;
	this->oq = (uint64_t)0xffffffffffffffff;
	this->partial = 0;
	this->q = lt_rq[pid, 0];
	this->ov = this->q != 0 && this->skip != 0 && lt_rs[pid, 0] < this->e && lt_re[pid, 0] > this->s;
	this->cov = this->ov && lt_rs[pid, 0] >= this->s && lt_re[pid, 0] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 0] != 0 ? 1 : 0;
	lt_rs[pid, 0] = this->cov ? 0 : lt_rs[pid, 0];
	lt_re[pid, 0] = this->cov ? 0 : lt_re[pid, 0];
	lt_rv[pid, 0] = this->cov ? 0 : lt_rv[pid, 0];
	lt_rq[pid, 0] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 0 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 0 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 1];
	this->ov = this->q != 0 && this->skip != 1 && lt_rs[pid, 1] < this->e && lt_re[pid, 1] > this->s;
	this->cov = this->ov && lt_rs[pid, 1] >= this->s && lt_re[pid, 1] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 1] != 0 ? 1 : 0;
	lt_rs[pid, 1] = this->cov ? 0 : lt_rs[pid, 1];
	lt_re[pid, 1] = this->cov ? 0 : lt_re[pid, 1];
	lt_rv[pid, 1] = this->cov ? 0 : lt_rv[pid, 1];
	lt_rq[pid, 1] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 1 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 1 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 2];
	this->ov = this->q != 0 && this->skip != 2 && lt_rs[pid, 2] < this->e && lt_re[pid, 2] > this->s;
	this->cov = this->ov && lt_rs[pid, 2] >= this->s && lt_re[pid, 2] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 2] != 0 ? 1 : 0;
	lt_rs[pid, 2] = this->cov ? 0 : lt_rs[pid, 2];
	lt_re[pid, 2] = this->cov ? 0 : lt_re[pid, 2];
	lt_rv[pid, 2] = this->cov ? 0 : lt_rv[pid, 2];
	lt_rq[pid, 2] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 2 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 2 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 3];
	this->ov = this->q != 0 && this->skip != 3 && lt_rs[pid, 3] < this->e && lt_re[pid, 3] > this->s;
	this->cov = this->ov && lt_rs[pid, 3] >= this->s && lt_re[pid, 3] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 3] != 0 ? 1 : 0;
	lt_rs[pid, 3] = this->cov ? 0 : lt_rs[pid, 3];
	lt_re[pid, 3] = this->cov ? 0 : lt_re[pid, 3];
	lt_rv[pid, 3] = this->cov ? 0 : lt_rv[pid, 3];
	lt_rq[pid, 3] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 3 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 3 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 4];
	this->ov = this->q != 0 && this->skip != 4 && lt_rs[pid, 4] < this->e && lt_re[pid, 4] > this->s;
	this->cov = this->ov && lt_rs[pid, 4] >= this->s && lt_re[pid, 4] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 4] != 0 ? 1 : 0;
	lt_rs[pid, 4] = this->cov ? 0 : lt_rs[pid, 4];
	lt_re[pid, 4] = this->cov ? 0 : lt_re[pid, 4];
	lt_rv[pid, 4] = this->cov ? 0 : lt_rv[pid, 4];
	lt_rq[pid, 4] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 4 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 4 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 5];
	this->ov = this->q != 0 && this->skip != 5 && lt_rs[pid, 5] < this->e && lt_re[pid, 5] > this->s;
	this->cov = this->ov && lt_rs[pid, 5] >= this->s && lt_re[pid, 5] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 5] != 0 ? 1 : 0;
	lt_rs[pid, 5] = this->cov ? 0 : lt_rs[pid, 5];
	lt_re[pid, 5] = this->cov ? 0 : lt_re[pid, 5];
	lt_rv[pid, 5] = this->cov ? 0 : lt_rv[pid, 5];
	lt_rq[pid, 5] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 5 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 5 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 6];
	this->ov = this->q != 0 && this->skip != 6 && lt_rs[pid, 6] < this->e && lt_re[pid, 6] > this->s;
	this->cov = this->ov && lt_rs[pid, 6] >= this->s && lt_re[pid, 6] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 6] != 0 ? 1 : 0;
	lt_rs[pid, 6] = this->cov ? 0 : lt_rs[pid, 6];
	lt_re[pid, 6] = this->cov ? 0 : lt_re[pid, 6];
	lt_rv[pid, 6] = this->cov ? 0 : lt_rv[pid, 6];
	lt_rq[pid, 6] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 6 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 6 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 7];
	this->ov = this->q != 0 && this->skip != 7 && lt_rs[pid, 7] < this->e && lt_re[pid, 7] > this->s;
	this->cov = this->ov && lt_rs[pid, 7] >= this->s && lt_re[pid, 7] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 7] != 0 ? 1 : 0;
	lt_rs[pid, 7] = this->cov ? 0 : lt_rs[pid, 7];
	lt_re[pid, 7] = this->cov ? 0 : lt_re[pid, 7];
	lt_rv[pid, 7] = this->cov ? 0 : lt_rv[pid, 7];
	lt_rq[pid, 7] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 7 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 7 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->add = this->always || this->partial;
	this->slot = this->whole ? this->skip : this->free >= 0 ? this->free : this->old;
	lt_evicted += this->add && !this->whole && this->free < 0 && lt_rv[pid, this->slot] != 0 ? 1 : 0;
	lt_rn[pid] = this->add ? lt_rn[pid] + 1 : lt_rn[pid];
	lt_rs[pid, this->slot] = this->add ? this->s : lt_rs[pid, this->slot];
	lt_re[pid, this->slot] = this->add ? this->e : lt_re[pid, this->slot];
	lt_rv[pid, this->slot] = this->add ? this->v : lt_rv[pid, this->slot];
	lt_rq[pid, this->slot] = this->add ? lt_rn[pid] : lt_rq[pid, this->slot];
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

/*
 * A forked child has a copy of its parent's memory: it gets a copy of the parent's ring.
 * proc:::create also fires for a new thread on Linux, whose pr_pid is then the parent's own.
 * Under SIP the psinfo_t read faults (docs/platforms/macos.md §6) and the child starts empty.
 */
proc:::create
/lt_rn[pid] && args[0]->pr_pid != pid/
{
	this->c = args[0]->pr_pid;
	lt_rs[this->c, 0] = lt_rs[pid, 0];
	lt_re[this->c, 0] = lt_re[pid, 0];
	lt_rv[this->c, 0] = lt_rv[pid, 0];
	lt_rq[this->c, 0] = lt_rq[pid, 0];
	lt_rs[this->c, 1] = lt_rs[pid, 1];
	lt_re[this->c, 1] = lt_re[pid, 1];
	lt_rv[this->c, 1] = lt_rv[pid, 1];
	lt_rq[this->c, 1] = lt_rq[pid, 1];
	lt_rs[this->c, 2] = lt_rs[pid, 2];
	lt_re[this->c, 2] = lt_re[pid, 2];
	lt_rv[this->c, 2] = lt_rv[pid, 2];
	lt_rq[this->c, 2] = lt_rq[pid, 2];
	lt_rs[this->c, 3] = lt_rs[pid, 3];
	lt_re[this->c, 3] = lt_re[pid, 3];
	lt_rv[this->c, 3] = lt_rv[pid, 3];
	lt_rq[this->c, 3] = lt_rq[pid, 3];
	lt_rs[this->c, 4] = lt_rs[pid, 4];
	lt_re[this->c, 4] = lt_re[pid, 4];
	lt_rv[this->c, 4] = lt_rv[pid, 4];
	lt_rq[this->c, 4] = lt_rq[pid, 4];
	lt_rs[this->c, 5] = lt_rs[pid, 5];
	lt_re[this->c, 5] = lt_re[pid, 5];
	lt_rv[this->c, 5] = lt_rv[pid, 5];
	lt_rq[this->c, 5] = lt_rq[pid, 5];
	lt_rs[this->c, 6] = lt_rs[pid, 6];
	lt_re[this->c, 6] = lt_re[pid, 6];
	lt_rv[this->c, 6] = lt_rv[pid, 6];
	lt_rq[this->c, 6] = lt_rq[pid, 6];
	lt_rs[this->c, 7] = lt_rs[pid, 7];
	lt_re[this->c, 7] = lt_re[pid, 7];
	lt_rv[this->c, 7] = lt_rv[pid, 7];
	lt_rq[this->c, 7] = lt_rq[pid, 7];
	lt_rn[this->c] = lt_rn[pid];
}

/* exec replaces the address space, and exit ends it: the ring goes. */
proc:::exec-success,
proc:::exit
/lt_rn[pid]/
{
	lt_rs[pid, 0] = 0; lt_re[pid, 0] = 0; lt_rv[pid, 0] = 0; lt_rq[pid, 0] = 0;
	lt_rs[pid, 1] = 0; lt_re[pid, 1] = 0; lt_rv[pid, 1] = 0; lt_rq[pid, 1] = 0;
	lt_rs[pid, 2] = 0; lt_re[pid, 2] = 0; lt_rv[pid, 2] = 0; lt_rq[pid, 2] = 0;
	lt_rs[pid, 3] = 0; lt_re[pid, 3] = 0; lt_rv[pid, 3] = 0; lt_rq[pid, 3] = 0;
	lt_rs[pid, 4] = 0; lt_re[pid, 4] = 0; lt_rv[pid, 4] = 0; lt_rq[pid, 4] = 0;
	lt_rs[pid, 5] = 0; lt_re[pid, 5] = 0; lt_rv[pid, 5] = 0; lt_rq[pid, 5] = 0;
	lt_rs[pid, 6] = 0; lt_re[pid, 6] = 0; lt_rv[pid, 6] = 0; lt_rq[pid, 6] = 0;
	lt_rs[pid, 7] = 0; lt_re[pid, 7] = 0; lt_rv[pid, 7] = 0; lt_rq[pid, 7] = 0;
	lt_rn[pid] = 0;
}

/*
 * mach_vm_remap(target, *address, size, mask, flags, src_task, src_address, copy, *cur_protection,
 * *max_protection, inheritance), vm_remap and their _new forms make a second view of memory (copy
 * FALSE) or a copy of it (copy TRUE). They are C functions of libsystem_kernel that send a MIG
 * message, not Mach traps (docs/platforms/macos.md §2), so they are traced with the pid provider,
 * which needs a concrete pid: -p and -c targets only. Arguments 6 to 9 are on the stack on both
 * arm64 and x86_64; the pid provider fetches them (macOS §2). The new address and protections are
 * written through the pointers by the time the call returns, and only on success.
 */
self int lt_rm;

/* Keep the arguments, and the remembered range holding the source address (as for mprotect, rwx-args). */
pid$target:libsystem_kernel.dylib:mach_vm_remap:entry,
pid$target:libsystem_kernel.dylib:vm_remap:entry,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:entry,
pid$target:libsystem_kernel.dylib:vm_remap_new:entry
{
	self->lt_rm = 1;
	self->lt_rm_task = (int)arg0;
	self->lt_rm_ptr = arg1;
	self->lt_rm_size = arg2;
	self->lt_rm_flags = (int)arg4;
	self->lt_rm_srctask = (int)arg5;
	self->lt_rm_src = arg6;
	self->lt_rm_copy = (int)arg7;
	self->lt_rm_curp = arg8;
	self->lt_rm_maxp = arg9;
	this->a = (uint64_t)arg6;
	this->bq = (uint64_t)0;
	this->bv = (int64_t)0;
	this->bk = -1;
	this->bs = (uint64_t)0;
	this->be = (uint64_t)0;
	this->h = lt_rq[pid, 0] > this->bq && this->a >= lt_rs[pid, 0] && this->a < lt_re[pid, 0];
	this->bv = this->h ? lt_rv[pid, 0] : this->bv;
	this->bk = this->h ? 0 : this->bk;
	this->bs = this->h ? lt_rs[pid, 0] : this->bs;
	this->be = this->h ? lt_re[pid, 0] : this->be;
	this->bq = this->h ? lt_rq[pid, 0] : this->bq;
	this->h = lt_rq[pid, 1] > this->bq && this->a >= lt_rs[pid, 1] && this->a < lt_re[pid, 1];
	this->bv = this->h ? lt_rv[pid, 1] : this->bv;
	this->bk = this->h ? 1 : this->bk;
	this->bs = this->h ? lt_rs[pid, 1] : this->bs;
	this->be = this->h ? lt_re[pid, 1] : this->be;
	this->bq = this->h ? lt_rq[pid, 1] : this->bq;
	this->h = lt_rq[pid, 2] > this->bq && this->a >= lt_rs[pid, 2] && this->a < lt_re[pid, 2];
	this->bv = this->h ? lt_rv[pid, 2] : this->bv;
	this->bk = this->h ? 2 : this->bk;
	this->bs = this->h ? lt_rs[pid, 2] : this->bs;
	this->be = this->h ? lt_re[pid, 2] : this->be;
	this->bq = this->h ? lt_rq[pid, 2] : this->bq;
	this->h = lt_rq[pid, 3] > this->bq && this->a >= lt_rs[pid, 3] && this->a < lt_re[pid, 3];
	this->bv = this->h ? lt_rv[pid, 3] : this->bv;
	this->bk = this->h ? 3 : this->bk;
	this->bs = this->h ? lt_rs[pid, 3] : this->bs;
	this->be = this->h ? lt_re[pid, 3] : this->be;
	this->bq = this->h ? lt_rq[pid, 3] : this->bq;
	this->h = lt_rq[pid, 4] > this->bq && this->a >= lt_rs[pid, 4] && this->a < lt_re[pid, 4];
	this->bv = this->h ? lt_rv[pid, 4] : this->bv;
	this->bk = this->h ? 4 : this->bk;
	this->bs = this->h ? lt_rs[pid, 4] : this->bs;
	this->be = this->h ? lt_re[pid, 4] : this->be;
	this->bq = this->h ? lt_rq[pid, 4] : this->bq;
	this->h = lt_rq[pid, 5] > this->bq && this->a >= lt_rs[pid, 5] && this->a < lt_re[pid, 5];
	this->bv = this->h ? lt_rv[pid, 5] : this->bv;
	this->bk = this->h ? 5 : this->bk;
	this->bs = this->h ? lt_rs[pid, 5] : this->bs;
	this->be = this->h ? lt_re[pid, 5] : this->be;
	this->bq = this->h ? lt_rq[pid, 5] : this->bq;
	this->h = lt_rq[pid, 6] > this->bq && this->a >= lt_rs[pid, 6] && this->a < lt_re[pid, 6];
	this->bv = this->h ? lt_rv[pid, 6] : this->bv;
	this->bk = this->h ? 6 : this->bk;
	this->bs = this->h ? lt_rs[pid, 6] : this->bs;
	this->be = this->h ? lt_re[pid, 6] : this->be;
	this->bq = this->h ? lt_rq[pid, 6] : this->bq;
	this->h = lt_rq[pid, 7] > this->bq && this->a >= lt_rs[pid, 7] && this->a < lt_re[pid, 7];
	this->bv = this->h ? lt_rv[pid, 7] : this->bv;
	this->bk = this->h ? 7 : this->bk;
	this->bs = this->h ? lt_rs[pid, 7] : this->bs;
	this->be = this->h ? lt_re[pid, 7] : this->be;
	this->bq = this->h ? lt_rq[pid, 7] : this->bq;
	self->lt_rm_prev = this->bv;
	self->lt_rm_slot = this->bk;
}

/* No change to the ring and nothing read back unless the call succeeded: clause-local values outlive a firing. */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
{
	this->rc = 0;
	this->ok = self->lt_rm && (int)arg1 == LT_KERN_SUCCESS;
	this->addr = (uint64_t)0;
	this->cur = -1;
	this->max = -1;
	this->s = (uint64_t)0;
	this->e = (uint64_t)0;
	this->v = (int64_t)0;
	this->skip = -1;
	this->always = 0;
	this->whole = 0;
}

/* The call succeeded: the new view's address and protections are in the caller's variables now. */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
/self->lt_rm && this->ok/
{
	this->addr = *(uint64_t *)copyin(self->lt_rm_ptr, 8);
	this->cur = *(int *)copyin(self->lt_rm_curp, 4);
	this->max = *(int *)copyin(self->lt_rm_maxp, 4);
}

/*
 * Every remap is printed (they are rare, and the parser needs the source's view of each), by a
 * clause per call so that its name is a literal.
 */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return
/self->lt_rm/
{
	this->prev = self->lt_rm_prev;
	printf("LT1:%s\tvm_remap\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t%d\t%d\t%d\t%llx\t%d\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "mach_vm_remap",
	    this->addr, self->lt_rm_size, self->lt_rm_flags, self->lt_rm_task, self->lt_rm_srctask,
	    self->lt_rm_src, self->lt_rm_copy, this->cur, this->max, (int)arg1,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
}

pid$target:libsystem_kernel.dylib:vm_remap:return
/self->lt_rm/
{
	this->prev = self->lt_rm_prev;
	printf("LT1:%s\tvm_remap\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t%d\t%d\t%d\t%llx\t%d\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "vm_remap",
	    this->addr, self->lt_rm_size, self->lt_rm_flags, self->lt_rm_task, self->lt_rm_srctask,
	    self->lt_rm_src, self->lt_rm_copy, this->cur, this->max, (int)arg1,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
}

pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return
/self->lt_rm/
{
	this->prev = self->lt_rm_prev;
	printf("LT1:%s\tvm_remap\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t%d\t%d\t%d\t%llx\t%d\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "mach_vm_remap_new",
	    this->addr, self->lt_rm_size, self->lt_rm_flags, self->lt_rm_task, self->lt_rm_srctask,
	    self->lt_rm_src, self->lt_rm_copy, this->cur, this->max, (int)arg1,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
}

pid$target:libsystem_kernel.dylib:vm_remap_new:return
/self->lt_rm/
{
	this->prev = self->lt_rm_prev;
	printf("LT1:%s\tvm_remap\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t%d\t%d\t%d\t%llx\t%d\t%d\t%d\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "vm_remap_new",
	    this->addr, self->lt_rm_size, self->lt_rm_flags, self->lt_rm_task, self->lt_rm_srctask,
	    self->lt_rm_src, self->lt_rm_copy, this->cur, this->max, (int)arg1,
	    this->prev ? (int)(this->prev & 0xff) : -1, this->prev ? (int)((this->prev & ~LT_RGN_SHOWN) >> 8) : -1);
}

/* User stack of the remap just printed. */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
/LT_USTACK && self->lt_rm/
{
	ustack();
}

/*
 * A view in the caller's own task (the same port name for both tasks) takes a slot, with the
 * source's flags and the new current protection, shown: the parser knows it now, so its later
 * changes and unmap matter.
 */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
/self->lt_rm && this->ok && self->lt_rm_task == self->lt_rm_srctask && this->addr/
{
	this->rc = 1;
	this->s = this->addr & ~(uint64_t)LT_PAGE_MASK;
	this->e = (this->addr + self->lt_rm_size + LT_PAGE_MASK) & ~(uint64_t)LT_PAGE_MASK;
	this->v = (self->lt_rm_prev & ~(0xff | LT_RGN_SHOWN)) | (this->cur & 0xff) | LT_RGN_SHOWN;
	this->always = 1;
	lt_tracked++;
}

/* The source's slot, when the ring holds the source (a hole is left alone), is shown too. */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
/this->rc && self->lt_rm_prev != 0/
{
	lt_rv[pid, self->lt_rm_slot] = lt_rv[pid, self->lt_rm_slot] | LT_RGN_SHOWN;
}

/* The change asked for above, as rwx-track applies its own: drop the slots it covers, then add its slot. */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
/this->rc/
{
	this->free = -1;
	this->old = 0;
	this->oq = (uint64_t)0xffffffffffffffff;
	this->partial = 0;
	this->q = lt_rq[pid, 0];
	this->ov = this->q != 0 && this->skip != 0 && lt_rs[pid, 0] < this->e && lt_re[pid, 0] > this->s;
	this->cov = this->ov && lt_rs[pid, 0] >= this->s && lt_re[pid, 0] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 0] != 0 ? 1 : 0;
	lt_rs[pid, 0] = this->cov ? 0 : lt_rs[pid, 0];
	lt_re[pid, 0] = this->cov ? 0 : lt_re[pid, 0];
	lt_rv[pid, 0] = this->cov ? 0 : lt_rv[pid, 0];
	lt_rq[pid, 0] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 0 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 0 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 1];
	this->ov = this->q != 0 && this->skip != 1 && lt_rs[pid, 1] < this->e && lt_re[pid, 1] > this->s;
	this->cov = this->ov && lt_rs[pid, 1] >= this->s && lt_re[pid, 1] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 1] != 0 ? 1 : 0;
	lt_rs[pid, 1] = this->cov ? 0 : lt_rs[pid, 1];
	lt_re[pid, 1] = this->cov ? 0 : lt_re[pid, 1];
	lt_rv[pid, 1] = this->cov ? 0 : lt_rv[pid, 1];
	lt_rq[pid, 1] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 1 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 1 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 2];
	this->ov = this->q != 0 && this->skip != 2 && lt_rs[pid, 2] < this->e && lt_re[pid, 2] > this->s;
	this->cov = this->ov && lt_rs[pid, 2] >= this->s && lt_re[pid, 2] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 2] != 0 ? 1 : 0;
	lt_rs[pid, 2] = this->cov ? 0 : lt_rs[pid, 2];
	lt_re[pid, 2] = this->cov ? 0 : lt_re[pid, 2];
	lt_rv[pid, 2] = this->cov ? 0 : lt_rv[pid, 2];
	lt_rq[pid, 2] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 2 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 2 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 3];
	this->ov = this->q != 0 && this->skip != 3 && lt_rs[pid, 3] < this->e && lt_re[pid, 3] > this->s;
	this->cov = this->ov && lt_rs[pid, 3] >= this->s && lt_re[pid, 3] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 3] != 0 ? 1 : 0;
	lt_rs[pid, 3] = this->cov ? 0 : lt_rs[pid, 3];
	lt_re[pid, 3] = this->cov ? 0 : lt_re[pid, 3];
	lt_rv[pid, 3] = this->cov ? 0 : lt_rv[pid, 3];
	lt_rq[pid, 3] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 3 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 3 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 4];
	this->ov = this->q != 0 && this->skip != 4 && lt_rs[pid, 4] < this->e && lt_re[pid, 4] > this->s;
	this->cov = this->ov && lt_rs[pid, 4] >= this->s && lt_re[pid, 4] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 4] != 0 ? 1 : 0;
	lt_rs[pid, 4] = this->cov ? 0 : lt_rs[pid, 4];
	lt_re[pid, 4] = this->cov ? 0 : lt_re[pid, 4];
	lt_rv[pid, 4] = this->cov ? 0 : lt_rv[pid, 4];
	lt_rq[pid, 4] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 4 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 4 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 5];
	this->ov = this->q != 0 && this->skip != 5 && lt_rs[pid, 5] < this->e && lt_re[pid, 5] > this->s;
	this->cov = this->ov && lt_rs[pid, 5] >= this->s && lt_re[pid, 5] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 5] != 0 ? 1 : 0;
	lt_rs[pid, 5] = this->cov ? 0 : lt_rs[pid, 5];
	lt_re[pid, 5] = this->cov ? 0 : lt_re[pid, 5];
	lt_rv[pid, 5] = this->cov ? 0 : lt_rv[pid, 5];
	lt_rq[pid, 5] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 5 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 5 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 6];
	this->ov = this->q != 0 && this->skip != 6 && lt_rs[pid, 6] < this->e && lt_re[pid, 6] > this->s;
	this->cov = this->ov && lt_rs[pid, 6] >= this->s && lt_re[pid, 6] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 6] != 0 ? 1 : 0;
	lt_rs[pid, 6] = this->cov ? 0 : lt_rs[pid, 6];
	lt_re[pid, 6] = this->cov ? 0 : lt_re[pid, 6];
	lt_rv[pid, 6] = this->cov ? 0 : lt_rv[pid, 6];
	lt_rq[pid, 6] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 6 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 6 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 7];
	this->ov = this->q != 0 && this->skip != 7 && lt_rs[pid, 7] < this->e && lt_re[pid, 7] > this->s;
	this->cov = this->ov && lt_rs[pid, 7] >= this->s && lt_re[pid, 7] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 7] != 0 ? 1 : 0;
	lt_rs[pid, 7] = this->cov ? 0 : lt_rs[pid, 7];
	lt_re[pid, 7] = this->cov ? 0 : lt_re[pid, 7];
	lt_rv[pid, 7] = this->cov ? 0 : lt_rv[pid, 7];
	lt_rq[pid, 7] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 7 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 7 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->add = this->always || this->partial;
	this->slot = this->whole ? this->skip : this->free >= 0 ? this->free : this->old;
	lt_evicted += this->add && !this->whole && this->free < 0 && lt_rv[pid, this->slot] != 0 ? 1 : 0;
	lt_rn[pid] = this->add ? lt_rn[pid] + 1 : lt_rn[pid];
	lt_rs[pid, this->slot] = this->add ? this->s : lt_rs[pid, this->slot];
	lt_re[pid, this->slot] = this->add ? this->e : lt_re[pid, this->slot];
	lt_rv[pid, this->slot] = this->add ? this->v : lt_rv[pid, this->slot];
	lt_rq[pid, this->slot] = this->add ? lt_rn[pid] : lt_rq[pid, this->slot];
}

/* Clear the saved remap arguments. */
pid$target:libsystem_kernel.dylib:mach_vm_remap:return,
pid$target:libsystem_kernel.dylib:vm_remap:return,
pid$target:libsystem_kernel.dylib:mach_vm_remap_new:return,
pid$target:libsystem_kernel.dylib:vm_remap_new:return
/self->lt_rm/
{
	self->lt_rm = 0;
	self->lt_rm_task = 0;
	self->lt_rm_ptr = 0;
	self->lt_rm_size = 0;
	self->lt_rm_flags = 0;
	self->lt_rm_srctask = 0;
	self->lt_rm_src = 0;
	self->lt_rm_copy = 0;
	self->lt_rm_curp = 0;
	self->lt_rm_maxp = 0;
	self->lt_rm_prev = 0;
	self->lt_rm_slot = 0;
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
	self->lt_mp_prev = 0;
	self->lt_mp_slot = 0;
	self->lt_mp_rs = 0;
	self->lt_mp_re = 0;
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
	self->lt_vp_prev = 0;
	self->lt_vp_slot = 0;
	self->lt_vp_rs = 0;
	self->lt_vp_re = 0;
	self->lt_vm = 0;
	self->lt_vm_ptr = 0;
	self->lt_vm_size = 0;
	self->lt_vm_mask = 0;
	self->lt_vm_flags = 0;
	self->lt_vm_prot = 0;
	self->lt_vm_addr = 0;
	self->lt_pr = 0;
}

/* Forget exited processes so the follow set does not grow (docs/platforms/macos.md §7: proc:::exit). */
proc:::exit
/lt_follow[pid]/
{
	lt_follow[pid] = 0;
}

/*
 * rwxsnoop's own counters: regions remembered, forgotten and evicted from the region ring (a live
 * mapping the script stopped following), events filtered in the kernel.
 */
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
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "regions_evicted", lt_evicted);
}

/* How many trailer records this script prints besides this one, so that a reader can tell when some never arrived. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "trailers", LT_TRAILERS);
}
