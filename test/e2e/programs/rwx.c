/* RWX: map anonymous memory read-write-execute, write a few instructions into it, and call them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "shellcode.h"

int main(void) {
  usleep(300 * 1000);
  unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  put_spin(p, 1000);
  __builtin___clear_cache((char *)p, (char *)p + 64);
  ((spin_fn)p)();
  printf("rwx: ran code at %p\n", (void *)p);
  munmap(p, 4096);
  return 0;
}
