/*
 * Watch a process for execution samples once it holds executable anonymous memory:
 * an anonymous or MAP_JIT mapping created with EXEC (docs/platforms/macos.md §2).
 */
syscall::mmap:return
/self->lt_mmap && (int64_t)arg1 >= 0 && !lt_xpid[pid] && (((self->lt_mmap_flags & LT_MAP_ANON) && (self->lt_mmap_prot & LT_PROT_EXEC)) || (self->lt_mmap_flags & LT_MAP_JIT))/
{
	lt_xpid[pid] = 1;
	lt_watched++;
}

/* ... or a successful protection change to EXEC (mprotect or Mach vm_protect). */
syscall::mprotect:return
/self->lt_mp && (int64_t)arg1 == 0 && !lt_xpid[pid] && (self->lt_mp_prot & LT_PROT_EXEC)/
{
	lt_xpid[pid] = 1;
	lt_watched++;
}

/* vm_protect(…, new_protection) with VM_PROT_EXECUTE succeeded (docs/platforms/macos.md §2). */
mach_trap::_kernelrpc_mach_vm_protect_trap:return
/self->lt_vp && arg0 == LT_KERN_SUCCESS && !lt_xpid[pid] && (self->lt_vp_prot & LT_VM_PROT_EXECUTE)/
{
	lt_xpid[pid] = 1;
	lt_watched++;
}

/* vm_map with an executable cur_protection succeeded (docs/platforms/macos.md §2). */
mach_trap::_kernelrpc_mach_vm_map_trap:return
/self->lt_vm && arg0 == LT_KERN_SUCCESS && !lt_xpid[pid] && (self->lt_vm_prot & LT_VM_PROT_EXECUTE)/
{
	lt_xpid[pid] = 1;
	lt_watched++;
}
