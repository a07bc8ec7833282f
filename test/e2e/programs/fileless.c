/*
 * Fileless: memfd_create, copy an ELF image into it, and map it executable in
 * the two ways an in-memory loader does: directly with PROT_READ|PROT_EXEC,
 * and first readable, then mprotect()ed to PROT_READ|PROT_EXEC. The first is
 * seen as a memfd mapped executable; the second, whose page is already
 * touched when it becomes executable, also lets the tracer read the ELF magic.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  usleep(300 * 1000);
  /* Our own executable is a convenient, well-formed ELF to copy. */
  int src = open("/proc/self/exe", O_RDONLY);
  if (src < 0) {
    perror("open");
    return 1;
  }
  int fd = memfd_create("payload", MFD_CLOEXEC);
  if (fd < 0) {
    perror("memfd_create");
    return 1;
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0) {
    if (write(fd, buf, (size_t)n) != n) {
      perror("write");
      return 1;
    }
  }
  close(src);
  void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  const unsigned char *b = p;
  printf("fileless: mapped %c%c%c at %p\n", b[1], b[2], b[3], p);
  void *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (q == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  const volatile unsigned char *c = q;
  (void)c[0];
  if (mprotect(q, 4096, PROT_READ | PROT_EXEC) != 0) {
    perror("mprotect");
    return 1;
  }
  printf("fileless: made executable at %p\n", q);
  munmap(q, 4096);
  munmap(p, 4096);
  close(fd);
  return 0;
}
