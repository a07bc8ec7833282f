/* Forget exited processes so the follow set does not grow (docs/platforms/macos.md §7: proc:::exit). */
proc:::exit
/lt_follow[pid]/
{
	lt_follow[pid] = 0;
}
