/* Seed the follow set with the traced process: $target is the -p pid or the -c child (docs/platforms/macos.md §6). */
BEGIN
{
	lt_follow[$target] = 1;
}

/*
 * Follow children as they are created: proc:::create args[0] is the child's psinfo_t
 * (docs/platforms/macos.md §7). Under SIP this translator read faults (§6); the
 * exec-success adoption below still follows children that exec.
 */
proc:::create
/lt_follow[pid]/
{
	lt_follow[args[0]->pr_pid] = 1;
}
