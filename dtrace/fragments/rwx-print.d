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
