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
