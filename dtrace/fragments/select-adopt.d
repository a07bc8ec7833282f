/*
 * A new image whose parent is followed is followed too. exec-success fires in the new
 * image, and pid/ppid builtins keep working under SIP (docs/platforms/macos.md §6, §7).
 */
proc:::exec-success
/lt_follow[ppid] && !lt_follow[pid]/
{
	lt_follow[pid] = 1;
}
