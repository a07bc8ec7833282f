/*
 * Regions: how in-memory loaders really use memory, one way per mode. Each mode writes code
 * into anonymous (or memfd) memory, makes it executable by a path that never names the start
 * of the mapping it was created as, and runs it for about half a second so that execution
 * samples land in it. The address it prints is the page that ran.
 *
 *   segment   map 3 RW pages, write code into the middle one, mprotect only that page RX
 *   partial   map 3 RW pages, munmap the first, write code into the second, mprotect the rest RX
 *   adjacent  map two RW pages side by side (two mmap calls), one mprotect RX over both
 *   mremap    map 1 RW page, write code, move it with mremap, mprotect the new address RX
 *   alias     one memfd mapped twice, shared: an RW view and an RX view; write through the
 *             first, run through the second (no mapping is ever writable and executable)
 *   many N    map N RW pages one at a time and keep them all, then unmap them (no code)
 *   untouched map 1 RW page and mprotect it RX without ever touching it: no page is behind
 *             the address yet, so a tracer reading its first bytes at that moment faults (no code)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "shellcode.h"

#define PAGE 4096

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *must(void *p, const char *what) {
  if (p == MAP_FAILED) {
    perror(what);
    exit(1);
  }
  return p;
}

static void check(int rc, const char *what) {
  if (rc != 0) {
    perror(what);
    exit(1);
  }
}

static void *anon(void *hint, size_t len, int extra) {
  return must(mmap(hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0), "mmap");
}

static void run(const char *mode, unsigned char *code) {
  __builtin___clear_cache((char *)code, (char *)code + 64);
  double end = now() + 0.6;
  unsigned long calls = 0;
  while (now() < end) {
    ((spin_fn)code)();
    calls++;
  }
  printf("regions: %s: %lu calls into %p\n", mode, calls, (void *)code);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "segment";
  usleep(300 * 1000);
  if (strcmp(mode, "segment") == 0) {
    unsigned char *p = anon(NULL, 3 * PAGE, 0);
    put_spin(p + PAGE, 50000);
    check(mprotect(p + PAGE, PAGE, PROT_READ | PROT_EXEC), "mprotect");
    run(mode, p + PAGE);
  } else if (strcmp(mode, "partial") == 0) {
    unsigned char *p = anon(NULL, 3 * PAGE, 0);
    check(munmap(p, PAGE), "munmap");
    put_spin(p + PAGE, 50000);
    check(mprotect(p + PAGE, 2 * PAGE, PROT_READ | PROT_EXEC), "mprotect");
    run(mode, p + PAGE);
  } else if (strcmp(mode, "adjacent") == 0) {
    /* Reserve two pages, give them back, then map each on its own at a fixed place. */
    unsigned char *base = anon(NULL, 2 * PAGE, 0);
    check(munmap(base, 2 * PAGE), "munmap");
    unsigned char *lo = anon(base, PAGE, MAP_FIXED_NOREPLACE);
    unsigned char *hi = anon(base + PAGE, PAGE, MAP_FIXED_NOREPLACE);
    if (lo != base || hi != base + PAGE) {
      fprintf(stderr, "regions: adjacent pages not placed\n");
      return 1;
    }
    put_spin(hi, 50000);
    check(mprotect(lo, 2 * PAGE, PROT_READ | PROT_EXEC), "mprotect");
    run(mode, hi);
  } else if (strcmp(mode, "mremap") == 0) {
    unsigned char *p = anon(NULL, PAGE, 0);
    put_spin(p, 50000);
    /* A place to move to, so the move is certain. */
    unsigned char *to = must(mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap");
    unsigned char *q = must(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to), "mremap");
    check(mprotect(q, PAGE, PROT_READ | PROT_EXEC), "mprotect");
    run(mode, q);
  } else if (strcmp(mode, "alias") == 0) {
    int fd = memfd_create("alias", 0);
    if (fd < 0 || ftruncate(fd, PAGE) != 0) {
      perror("memfd");
      return 1;
    }
    unsigned char *w = must(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), "mmap rw");
    unsigned char *x = must(mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0), "mmap rx");
    close(fd);
    put_spin(w, 50000);
    run(mode, x);
    printf("regions: alias: written through %p\n", (void *)w);
  } else if (strcmp(mode, "many") == 0) {
    long n = argc > 2 ? atol(argv[2]) : 1000;
    void **pages = calloc((size_t)n, sizeof *pages);
    for (long i = 0; i < n; i++) {
      pages[i] = anon(NULL, PAGE, 0);
      ((volatile char *)pages[i])[0] = 1;
    }
    for (long i = 0; i < n; i++) check(munmap(pages[i], PAGE), "munmap");
    printf("regions: many: %ld pages\n", n);
  } else if (strcmp(mode, "untouched") == 0) {
    unsigned char *p = anon(NULL, PAGE, 0);
    check(mprotect(p, PAGE, PROT_READ | PROT_EXEC), "mprotect");
    printf("regions: untouched: made executable at %p\n", (void *)p);
    check(munmap(p, PAGE), "munmap");
  } else {
    fprintf(stderr, "regions: unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
