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
	${ring-apply}
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
