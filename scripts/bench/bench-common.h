/*
 * Shared by the live-overhead workloads: a monotonic clock for the timed loop and the
 * process's CPU time (user + system), so a traced run can be judged apart from other load
 * on the machine. Every workload prints one line: pid=, calls= (the traced calls its loop
 * makes), elapsed_ns= and cpu_ns=, read by scripts/bench/live.ts.
 */
#ifndef LT_BENCH_COMMON_H
#define LT_BENCH_COMMON_H
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static inline long long bench_clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct { long long wall, cpu; } bench_mark;

static inline bench_mark bench_now(void) {
  bench_mark m = { bench_clock_ns(CLOCK_MONOTONIC), bench_clock_ns(CLOCK_PROCESS_CPUTIME_ID) };
  return m;
}

static inline void bench_report(const char *name, long calls, bench_mark t0, bench_mark t1, double sink) {
  /* sink keeps the compiler from dropping the work; printed so it cannot be. */
  printf("workload=%s pid=%d calls=%ld elapsed_ns=%lld cpu_ns=%lld sink=%g\n", name, (int)getpid(), calls,
         t1.wall - t0.wall, t1.cpu - t0.cpu, sink);
  fflush(stdout);
}
#endif
