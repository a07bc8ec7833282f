/*
 * Live-overhead workload: the cost floor of a probe. Mode getpid: a system call the an0840
 * script does not trace, N times (it still pays for syscall tracepoints being enabled at all).
 * Mode mmap-rw: anonymous read-write mmap and munmap of one page, N times, never touched:
 * the script's mmap and munmap probes run, remember the region and forget it, and print
 * nothing. Mode mmap-r: the same, read-only: the probes run and keep nothing.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "bench-common.h"

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "getpid";
  long n = argc > 2 ? atol(argv[2]) : 200000;
  long acc = 0;
  bench_mark t0, t1;
  if (strcmp(mode, "getpid") == 0) {
    t0 = bench_now();
    /* syscall() so no C library can answer from a cache. */
    for (long i = 0; i < n; i++) acc += syscall(SYS_getpid);
    t1 = bench_now();
    bench_report("floor-getpid", n, t0, t1, (double)(acc & 0xffff));
    return 0;
  }
  int prot = strcmp(mode, "mmap-rw") == 0 ? PROT_READ | PROT_WRITE : strcmp(mode, "mmap-r") == 0 ? PROT_READ : -1;
  if (prot < 0) { fprintf(stderr, "unknown mode %s\n", mode); return 2; }
  t0 = bench_now();
  for (long i = 0; i < n; i++) {
    void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    acc += (long)((uintptr_t)p >> 12);
    if (munmap(p, 4096) != 0) { perror("munmap"); return 1; }
  }
  t1 = bench_now();
  bench_report(prot == PROT_READ ? "floor-mmap-r" : "floor-mmap-rw", n * 2, t0, t1, (double)(acc & 0xffff));
  return 0;
}
