/* anonexec's own counters: processes watched, samples printed and samples over budget. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "pids_watched", lt_watched);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "samples_printed", lt_sampled);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "samples_limited", lt_limited);
}
