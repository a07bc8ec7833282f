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
 * dup, dup2, dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC 1030) of a memfd or /dev/shm descriptor: the
 * new fd names the same object. The old fd is kept + 1, so that fd 0 is not "none". dup* matches
 * dup, dup3 and, where the system call exists (x86-64, not arm64), dup2.
 */
syscall::dup*:entry
/lt_memfd[pid, (int)arg0]/
{
	self->lt_dup = (int)arg0 + 1;
}

syscall::fcntl:entry
/((int)arg1 == 0 || (int)arg1 == 1030) && lt_memfd[pid, (int)arg0]/
{
	self->lt_dup = (int)arg0 + 1;
}

/* Print the old and the new descriptor (negative: the call failed). */
syscall::dup*:return,
syscall::fcntl:return
/self->lt_dup/
{
	printf("LT1:%s\tdup\t%lld\t%d\t%d\t%d\t%d\t%S\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, self->lt_dup - 1, (int64_t)arg1 < 0 ? -1 : (int)arg1);
}

/* Remember the new descriptor as the old one is remembered. */
syscall::dup*:return,
syscall::fcntl:return
/self->lt_dup && (int64_t)arg1 >= 0/
{
	lt_memfd[pid, (int)arg1] = 1;
}

/* Clear the saved descriptor. */
syscall::dup*:return,
syscall::fcntl:return
/self->lt_dup/
{
	self->lt_dup = 0;
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
