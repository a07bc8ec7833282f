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
