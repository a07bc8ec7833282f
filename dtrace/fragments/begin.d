/* Announce tool, OS and backend first, so the parser picks the OS's MAP_* and RTLD_* tables. */
BEGIN
{
	printf("LT1:%s\tbegin\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%s\t%s\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, LT_TOOL, LT_OS, "dtrace");
}
