/*
 * Live-overhead workload: anonymous memory mapped writable, made executable,
 * made writable again and unmapped, N times. Four traced system calls an
 * iteration (mmap, mprotect, mprotect, munmap), back to back: the worst case, every call
 * but the mmap is printed. Prints its timing line (bench-common.h) on stdout.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "bench-common.h"

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  size_t len = 16 * 4096;
  bench_mark t0 = bench_now();
  for (long i = 0; i < n; i++) {
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    p[0] = 0xc3; /* ret */
    p[len - 1] = (unsigned char)i;
    if (mprotect(p, len, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    if (mprotect(p, len, PROT_READ | PROT_WRITE) != 0) { perror("mprotect"); return 1; }
    if (munmap(p, len) != 0) { perror("munmap"); return 1; }
  }
  bench_mark t1 = bench_now();
  bench_report("mmap-work", n * 4, t0, t1, 0);
  return 0;
}
