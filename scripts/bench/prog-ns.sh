#!/usr/bin/env bash
# Per-program cost of a bpftrace script: the kernel's own accounting of each BPF program
# (kernel.bpf_stats_enabled), read from bpftrace's descriptors once the command is done.
#
#   scripts/bench/prog-ns.sh SCRIPT.bt COMMAND [ARGS...]     (root; arguments without spaces)
#
# SCRIPT.bt is traced with `bpftrace -c` (generate it with -c, so the command is followed).
# Prints one line per program, in load order (bpftrace loads one program per clause and probe,
# in the order of the script's clauses): run count, total ns and ns per run; then the sum of
# all. The accounting adds two clock reads to every run it measures.
set -euo pipefail
script=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '#!/bin/sh\n"$@"\ntouch %s/done\nsleep 30\n' "$dir" > "$dir/wrap"
chmod +x "$dir/wrap"
prev=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
BPFTRACE_STRLEN=112 BPFTRACE_MAP_KEYS_MAX=65536 bpftrace -c "/bin/sh $dir/wrap $*" "$script" > "$dir/out" 2>&1 &
bt=$!
while [ ! -e "$dir/done" ]; do
  if ! kill -0 "$bt" 2>/dev/null; then cat "$dir/out" >&2; sysctl -qw kernel.bpf_stats_enabled="$prev"; exit 1; fi
  sleep 0.2
done
printf '%6s %8s %12s %14s %10s\n' fd prog_id run_cnt run_time_ns ns/run
for f in /proc/$bt/fd/*; do
  [ "$(readlink "$f" 2>/dev/null)" = "anon_inode:bpf-prog" ] || continue
  fd=${f##*/}
  awk -v fd="$fd" '
    $1 == "prog_id:" { id = $2 } $1 == "run_time_ns:" { ns = $2 } $1 == "run_cnt:" { n = $2 }
    END { printf "%6s %8s %12s %14s %10s\n", fd, id, n, ns, (n > 0 ? sprintf("%.0f", ns / n) : "-") }' "/proc/$bt/fdinfo/$fd"
done | sort -n | awk '{ print; t += $4 } END { printf "total run_time_ns %d\n", t }'
kill -INT "$bt" 2>/dev/null || true
wait "$bt" || true
sysctl -qw kernel.bpf_stats_enabled="$prev"
