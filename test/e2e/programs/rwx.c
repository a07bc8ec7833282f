/*
 * RWX: map anonymous memory read-write-execute, write a few instructions into
 * it, and call them. With no argument the code runs once (a few microseconds:
 * no execution sample can be counted on); with SECONDS it is called in a loop
 * for that long, so that samples land in the region and anonymous execution
 * is observed for certain.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "shellcode.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0;
  usleep(300 * 1000);
  unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  put_spin(p, seconds > 0 ? 50000 : 1000);
  __builtin___clear_cache((char *)p, (char *)p + 64);
  unsigned long calls = 0;
  double end = now() + seconds;
  do {
    ((spin_fn)p)();
    calls++;
  } while (now() < end);
  printf("rwx: ran code at %p (%lu calls)\n", (void *)p, calls);
  munmap(p, 4096);
  return 0;
}
