/* Announce tool, OS and backend first, so the parser picks the darwin MAP_* and RTLD_* tables. */
BEGIN
{
	printf("LT1:%s\tbegin\t%llu\t%d\t%d\t%d\t%d\t%S\t%s\t%s\t%s\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, LT_TOOL, "darwin", "dtrace");
}
