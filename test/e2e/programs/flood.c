/* Flood: maps and unmaps executable anonymous memory at a high rate, to provoke the tracer into dropping events. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  usleep(300 * 1000);
  for (long i = 0; i < n; i++) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    munmap(p, 4096);
  }
  printf("flood: %ld pairs\n", n);
  return 0;
}
