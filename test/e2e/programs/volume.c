/* Volume: many anonymous read-write mmap/munmap pairs, none of which can matter for executable memory. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  usleep(300 * 1000);
  for (long i = 0; i < n; i++) {
    void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    ((volatile char *)p)[0] = 1;
    munmap(p, 8192);
  }
  printf("volume: %ld pairs\n", n);
  return 0;
}
