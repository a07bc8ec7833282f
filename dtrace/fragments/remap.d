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
	${ring-find}
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
	${ring-apply}
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
