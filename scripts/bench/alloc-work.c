/*
 * Live-overhead workload, allocator-style: what a malloc serving large blocks, an arena
 * allocator or a GC heap does with memory. N times: anonymous read-write mmap of a block
 * (default 32 pages, 128 KiB: glibc's default mmap threshold, the smallest block malloc
 * serves with mmap), fill every word, make it read-only (a sealed arena, a guard), checksum
 * it, make it read-write again, touch it, munmap. Four system calls an iteration, never
 * PROT_EXEC: the an0840 script remembers and forgets each region in the kernel and must
 * print nothing about them.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "bench-common.h"

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  long pages = argc > 2 ? atol(argv[2]) : 32;
  size_t len = (size_t)pages * 4096;
  size_t words = len / sizeof(uint64_t);
  uint64_t sum = 0;
  bench_mark t0 = bench_now();
  for (long i = 0; i < n; i++) {
    uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t j = 0; j < words; j++) p[j] = (uint64_t)i * 0x9e3779b97f4a7c15ULL + j;
    if (mprotect(p, len, PROT_READ) != 0) { perror("mprotect"); return 1; }
    uint64_t h = 1469598103934665603ULL;
    for (size_t j = 0; j < words; j++) h = (h ^ p[j]) * 1099511628211ULL;
    sum += h;
    if (mprotect(p, len, PROT_READ | PROT_WRITE) != 0) { perror("mprotect"); return 1; }
    p[0] = h;
    if (munmap(p, len) != 0) { perror("munmap"); return 1; }
  }
  bench_mark t1 = bench_now();
  bench_report("alloc-work", n * 4, t0, t1, (double)(sum & 0xffff));
  return 0;
}
