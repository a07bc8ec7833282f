/* The watcher's own counter: processes stopped for attachment. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "stopped", lt_stopped);
}
