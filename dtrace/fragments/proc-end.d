/* procsnoop's own counter: execs printed without their path. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "exec_without_path", lt_exec_nopath);
}
