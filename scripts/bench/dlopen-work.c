/*
 * Live-overhead workload: a shared library opened, a symbol resolved and the
 * library closed, N times. dlclose of the last reference unmaps the library,
 * so every dlopen maps it again (openat, mmap, mprotect, munmap under the
 * hood), back to back: the worst case. Prints its timing line (bench-common.h) on stdout.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench-common.h"

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  const char *lib = argc > 2 ? argv[2] : "libm.so.6";
  const char *sym = argc > 3 ? argv[3] : "cos";
  double acc = 0;
  bench_mark t0 = bench_now();
  for (long i = 0; i < n; i++) {
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    double (*f)(double) = (double (*)(double))dlsym(h, sym);
    if (f == NULL) { fprintf(stderr, "dlsym: %s\n", dlerror()); return 1; }
    acc += f((double)i);
    dlclose(h);
  }
  bench_mark t1 = bench_now();
  bench_report("dlopen-work", n * 3, t0, t1, acc);
  return 0;
}
