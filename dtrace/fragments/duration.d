/* Count whole seconds for the duration limit (tick-1s fires once a second on one CPU). */
tick-1s
{
	lt_seconds++;
}

/* Stop after LT_DURATION seconds; END still prints the trailer. */
tick-1s
/lt_seconds >= LT_DURATION/
{
	exit(0);
}
