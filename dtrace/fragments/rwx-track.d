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
