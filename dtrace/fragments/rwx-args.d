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
	${ring-find}
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
	${ring-find}
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
