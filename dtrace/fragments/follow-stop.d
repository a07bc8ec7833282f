/*
 * Stop each new image before it runs, so a per-pid dlsnoop can attach with -p and resume
 * it. raise(SIGSTOP), not stop(): Oracle D does not implement stop() (docs/platforms/linux.md)
 * and both D compilers accept raise(). It is destructive: dtrace needs -w, which SIP's
 * DTrace restriction refuses (docs/platforms/macos.md §6). dtrace itself is never
 * stopped: the per-pid scripts are dtrace processes too.
 */
proc:::exec-success
/(LT_ALL || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID) && execname != "dtrace"/
{
	raise(LT_SIGSTOP);
	lt_stopped++;
}
