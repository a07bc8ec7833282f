/*
 * mremap(old_address, old_size, new_size, flags, new_address) (mremap(2), Linux only: macOS
 * has no such call), with the remembered range holding old_address, as for mprotect (rwx-args),
 * so the region moves with its history.
 */
syscall::mremap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_mr = 1;
	self->lt_mr_addr = arg0;
	self->lt_mr_oldlen = arg1;
	self->lt_mr_newlen = arg2;
	self->lt_mr_flags = (int)arg3;
	self->lt_mr_newaddr = arg4;
	this->a = (uint64_t)arg0;
	${ring-find}
	self->lt_mr_prev = this->bv;
}

/*
 * mremap of a region already printed (or every mremap, unfiltered): where it went, so the
 * parser moves it with its history; a failure says MAP_FAILED with errno, as libc reports it.
 */
syscall::mremap:return
/self->lt_mr && (LT_UNFILTERED || (self->lt_mr_prev & LT_RGN_SHOWN))/
{
	printf("LT1:%s\tmremap\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%llx\t%d\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_mr_addr, self->lt_mr_oldlen, self->lt_mr_newlen, self->lt_mr_flags, self->lt_mr_newaddr,
	    (int64_t)arg1 < 0 ? (uint64_t)-1 : arg1, (int64_t)arg1 < 0 ? errno : 0);
}

/*
 * mremap moved or resized a remembered range: the old range goes (unless MREMAP_DONTUNMAP kept
 * it: an empty range then changes nothing) and the new one takes a slot with the same value.
 * Two changes in one firing: the ring applies each (ring-apply) before the next is described.
 */
syscall::mremap:return
/self->lt_mr && self->lt_mr_prev != 0 && (int64_t)arg1 >= 0/
{
	this->s = (uint64_t)self->lt_mr_addr;
	this->e = (self->lt_mr_flags & LT_MREMAP_DONTUNMAP) ? this->s :
	    this->s + (((uint64_t)self->lt_mr_oldlen + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = (int64_t)0;
	this->skip = -1;
	this->always = 0;
	this->whole = 0;
	${ring-apply}
	this->s = (uint64_t)arg1;
	this->e = this->s + (((uint64_t)self->lt_mr_newlen + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = self->lt_mr_prev;
	this->always = 1;
	${ring-apply}
}

/* Clear the saved mremap arguments. */
syscall::mremap:return
/self->lt_mr/
{
	self->lt_mr = 0;
	self->lt_mr_addr = 0;
	self->lt_mr_oldlen = 0;
	self->lt_mr_newlen = 0;
	self->lt_mr_flags = 0;
	self->lt_mr_newaddr = 0;
	self->lt_mr_prev = 0;
}
