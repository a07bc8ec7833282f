/*
 * proc:::exec fires before the image is replaced, with args[0] the path (docs/platforms/macos.md
 *  §7). Keep it per pid: for posix_spawn the caller is the parent, for
 * execve the process itself. Under SIP this kernel-string read faults (§6).
 */
proc:::exec
/(LT_ALL || LT_NAME != "" || lt_follow[pid]) && (LT_UID < 0 || uid == LT_UID)/
{
	lt_execpath[pid] = stringof(args[0]);
	lt_execpend[pid] = 1;
}

/* A failed exec leaves nothing to report (docs/platforms/macos.md §7: exec-failure). */
proc:::exec-failure
/lt_execpend[pid]/
{
	lt_execpend[pid] = 0;
}

/*
 * exec-success fires in the new image, so pid, ppid and execname are the new program's
 * (docs/platforms/macos.md §7). The path was saved by this pid (execve) or its parent
 * (posix_spawn).
 */
proc:::exec-success
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID) && (lt_execpend[pid] || lt_execpend[ppid])/
{
	this->path = lt_execpend[pid] ? lt_execpath[pid] : lt_execpath[ppid];
	printf("LT1:%s\texec\t%lld\t%d\t%d\t%d\t%d\t%S\t%S\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    this->path, substr(this->path, LT_STRSIZE - 2) != "" ? 1 : 0);
}

/*
 * No path was saved (SIP refused the read): the process name stands in for the path,
 * flagged as cut short, so the exec is still seen.
 */
proc:::exec-success
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID) && !lt_execpend[pid] && !lt_execpend[ppid]/
{
	printf("LT1:%s\texec\t%lld\t%d\t%d\t%d\t%d\t%S\t%S\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    execname, 1);
	lt_exec_nopath++;
}

/* The saved path has been used: clear its flag (own first, else the parent's). */
proc:::exec-success
/lt_execpend[pid] || lt_execpend[ppid]/
{
	lt_execpend[lt_execpend[pid] ? pid : ppid] = 0;
}
