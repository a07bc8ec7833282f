/* dlsnoop's own counters: calls lost to nesting, dlsym calls without a symbol. */
END
{
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "dl_nested", lt_dl_nested);
	printf("LT1:%s\ttrailer\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, "dlsym_null_symbol", lt_dlsym_null);
}
