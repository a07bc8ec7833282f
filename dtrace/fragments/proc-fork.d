/*
 * proc:::create fires in the parent for fork and posix_spawn; args[0] is the child's
 * psinfo_t (docs/platforms/macos.md §7). Under SIP the translator read faults (§6):
 * the fork is then lost, reported as a probe error.
 */
proc:::create
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	printf("LT1:%s\tfork\t%lld\t%d\t%d\t%d\t%d\t%S\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, args[0]->pr_pid);
}
