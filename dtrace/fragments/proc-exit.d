/* proc:::exit args[0] is the exit reason, e.g. CLD_EXITED (docs/platforms/macos.md §7). */
proc:::exit
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	printf("LT1:%s\texit\t%lld\t%d\t%d\t%d\t%d\t%S\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, args[0]);
}
