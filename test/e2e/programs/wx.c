/*
 * W->X: map anonymous memory read-write, write code, mprotect it to
 * read-execute, and run it in a loop for about half a second so that
 * execution samples land in it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "shellcode.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
  usleep(300 * 1000);
  unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  put_spin(p, 50000);
  if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) {
    perror("mprotect");
    return 1;
  }
  __builtin___clear_cache((char *)p, (char *)p + 64);
  double end = now() + 0.6;
  unsigned long calls = 0;
  while (now() < end) {
    ((spin_fn)p)();
    calls++;
  }
  printf("wx: %lu calls into %p\n", calls, (void *)p);
  munmap(p, 4096);
  return 0;
}
