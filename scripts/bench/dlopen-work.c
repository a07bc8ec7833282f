/*
 * Live-overhead workload: a shared library opened, a symbol resolved and the
 * library closed, N times. dlclose of the last reference unmaps the library,
 * so every dlopen maps it again (openat, mmap, mprotect, munmap under the
 * hood). Prints the iterations and its own elapsed time in ns on stdout.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  const char *lib = argc > 2 ? argv[2] : "libm.so.6";
  const char *sym = argc > 3 ? argv[3] : "cos";
  double acc = 0;
  long long t0 = now_ns();
  for (long i = 0; i < n; i++) {
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    double (*f)(double) = (double (*)(double))dlsym(h, sym);
    if (f == NULL) { fprintf(stderr, "dlsym: %s\n", dlerror()); return 1; }
    acc += f((double)i);
    dlclose(h);
  }
  long long t1 = now_ns();
  printf("iterations=%ld elapsed_ns=%lld acc=%g\n", n, t1 - t0, acc);
  return 0;
}
