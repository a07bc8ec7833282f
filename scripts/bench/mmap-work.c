/*
 * Live-overhead workload: anonymous memory mapped writable, made executable,
 * made writable again and unmapped, N times. Four traced system calls an
 * iteration (mmap, mprotect, mprotect, munmap). Prints the iterations, the
 * system calls it made and its own elapsed time in ns on stdout.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  size_t len = 16 * 4096;
  long long t0 = now_ns();
  for (long i = 0; i < n; i++) {
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    p[0] = 0xc3; /* ret */
    p[len - 1] = (unsigned char)i;
    if (mprotect(p, len, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    if (mprotect(p, len, PROT_READ | PROT_WRITE) != 0) { perror("mprotect"); return 1; }
    if (munmap(p, len) != 0) { perror("munmap"); return 1; }
  }
  long long t1 = now_ns();
  printf("iterations=%ld syscalls=%ld elapsed_ns=%lld\n", n, n * 4, t1 - t0);
  return 0;
}
