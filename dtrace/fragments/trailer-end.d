/* How many trailer records this script prints besides this one, so that a reader can tell when some never arrived. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "trailers", LT_TRAILERS);
}
