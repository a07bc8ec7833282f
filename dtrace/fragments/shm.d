/*
 * openat of a path under /dev/shm/ is how glibc's shm_open opens a POSIX shared-memory object,
 * which can be mapped more than once (shm_overview(7)). The path pointer is kept at entry and
 * read at return, when the kernel has read it and its page is surely there (a read at entry can
 * fault, as the memfd name did: docs/platforms/linux.md). openat is frequent: only a 10-byte
 * read and a compare per call, and only a match prints or keeps anything.
 */
syscall::openat:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_op = arg1;
	self->lt_op_flags = (int)arg2;
}

/* copyinstr with 10 bytes keeps at most 9 characters: the prefix alone. */
syscall::openat:return
/self->lt_op/
{
	this->shm = copyinstr(self->lt_op, 10) == "/dev/shm/";
}

/* Print the path, the open flags and the returned descriptor (negative: the call failed). */
syscall::openat:return
/self->lt_op && this->shm/
{
	this->path = copyinstr(self->lt_op);
	printf("LT1:%s\tshm\t%lld\t%d\t%d\t%d\t%d\t%S\t%S\t%d\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    this->path, substr(this->path, LT_STRSIZE - 2) != "" ? 1 : 0, self->lt_op_flags,
	    (int64_t)arg1 < 0 ? -1 : (int)arg1);
}

/* Remember the descriptor as a memfd's, so its mappings are printed (rwx-print) until close (memfd). */
syscall::openat:return
/self->lt_op && this->shm && (int64_t)arg1 >= 0/
{
	lt_memfd[pid, (int)arg1] = 1;
}

/* Clear the saved path pointer. */
syscall::openat:return
/self->lt_op/
{
	self->lt_op = 0;
	self->lt_op_flags = 0;
}
