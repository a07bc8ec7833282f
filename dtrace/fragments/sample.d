/* A new second starts a new sample budget for every watched process. */
tick-1s
{
	lt_epoch++;
}

/*
 * profile-N: arg1 is the user PC, 0 when the CPU was in the kernel (docs/platforms/macos.md
 *  §8). Only processes holding executable anonymous memory are sampled;
 * reset the process's budget when its last sample was in an earlier second.
 */
profile-${hz}
/arg1 && lt_xpid[pid] && lt_qepoch[pid] != lt_epoch/
{
	lt_qepoch[pid] = lt_epoch;
	lt_qcount[pid] = 0;
}

/* Over budget: count the sample instead of printing it. */
profile-${hz}
/arg1 && lt_xpid[pid] && lt_qcount[pid] >= LT_SAMPLE_LIMIT/
{
	lt_limited++;
}

/* Within budget: print the user PC. */
profile-${hz}
/arg1 && lt_xpid[pid] && lt_qcount[pid] < LT_SAMPLE_LIMIT/
{
	lt_qcount[pid]++;
	lt_sampled++;
	printf("LT1:%s\tsample\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, (uint64_t)arg1);
	self->lt_pr = 1;
}

/* User stack of the sample just printed. */
profile-${hz}
/LT_USTACK && self->lt_pr/
{
	ustack();
}

/* Clear the printed flag. */
profile-${hz}
/self->lt_pr/
{
	self->lt_pr = 0;
}

/* Stop watching an exited process. */
proc:::exit
/lt_xpid[pid]/
{
	lt_xpid[pid] = 0;
	lt_qcount[pid] = 0;
	lt_qepoch[pid] = 0;
}
