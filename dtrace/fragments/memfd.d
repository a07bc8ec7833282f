/*
 * memfd_create(name, flags) makes an anonymous file that can be mapped executable: fileless
 * code on Linux (memfd_create(2)). The name is read at return, from the pointer saved at
 * entry: read at entry it faulted (docs/platforms/linux.md). The descriptor is remembered
 * per [pid, fd] so a mapping of it is printed (rwx-print), until close.
 */
syscall::memfd_create:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_mfd = arg0;
}

/* Print the name and the returned descriptor (negative: the call failed). */
syscall::memfd_create:return
/self->lt_mfd/
{
	this->name = copyinstr(self->lt_mfd);
	printf("LT1:%s\tmemfd\t%lld\t%d\t%d\t%d\t%d\t%S\t%S\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    this->name, substr(this->name, LT_STRSIZE - 2) != "" ? 1 : 0, (int64_t)arg1 < 0 ? -1 : (int)arg1);
}

/* Remember a descriptor that was made. */
syscall::memfd_create:return
/self->lt_mfd && (int64_t)arg1 >= 0/
{
	lt_memfd[pid, (int)arg1] = 1;
}

/* Clear the saved name pointer. */
syscall::memfd_create:return
/self->lt_mfd/
{
	self->lt_mfd = 0;
}

/*
 * A closed memfd or /dev/shm descriptor (shm) no longer backs new mappings: say so, since its
 * number will name some other file next.
 */
syscall::close:entry
/lt_memfd[pid, (int)arg0]/
{
	printf("LT1:%s\tclose\t%lld\t%d\t%d\t%d\t%d\t%S\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, (int)arg0);
	lt_memfd[pid, (int)arg0] = 0;
}
