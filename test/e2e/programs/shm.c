/*
 * shm: one POSIX shared-memory object (shm_open, which glibc does as an openat of /dev/shm/NAME)
 * mapped twice, one way per mode. The object is unlinked at once, so nothing is left behind.
 *
 *   two    two opens of one name: an RW view through the first fd, an RX view through the second;
 *          code written through the first runs through the second (no mapping is ever W+X)
 *   one    one fd mapped twice, RW and RX, then the same
 *   dup    the RX view mapped through a dup() of the fd, then the same
 *   quiet  one fd mapped RW and read-only, and data written and read back: nothing executable
 *
 * It prints the addresses of its views; the executable one is the page that ran.
 */
#define _GNU_SOURCE
#include <fcntl.h>
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

static int open_shm(const char *name, int flags) {
  int fd = shm_open(name, flags, 0600);
  if (fd < 0) {
    perror("shm_open");
    exit(1);
  }
  return fd;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "two";
  char name[64];
  snprintf(name, sizeof name, "/loadtrace-shm-%d", (int)getpid());
  int fd = open_shm(name, O_RDWR | O_CREAT | O_EXCL);
  if (ftruncate(fd, PAGE) != 0) {
    perror("ftruncate");
    return 1;
  }
  unsigned char *w = must(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), "mmap rw");
  if (strcmp(mode, "quiet") == 0) {
    unsigned char *r = must(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0), "mmap r");
    close(fd);
    shm_unlink(name);
    memcpy(w, "hello", 6);
    printf("shm: quiet: wrote through %p, read %s through %p\n", (void *)w, (const char *)r, (void *)r);
    return 0;
  }
  int xfd = fd;
  if (strcmp(mode, "two") == 0) {
    xfd = open_shm(name, O_RDONLY);
  } else if (strcmp(mode, "dup") == 0) {
    xfd = dup(fd);
    if (xfd < 0) {
      perror("dup");
      return 1;
    }
  } else if (strcmp(mode, "one") != 0) {
    fprintf(stderr, "shm: unknown mode %s\n", mode);
    return 2;
  }
  unsigned char *x = must(mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, xfd, 0), "mmap rx");
  if (xfd != fd) close(xfd);
  close(fd);
  shm_unlink(name);
  put_spin(w, 50000);
  __builtin___clear_cache((char *)x, (char *)x + 64);
  double end = now() + 0.6;
  unsigned long calls = 0;
  while (now() < end) {
    ((spin_fn)x)();
    calls++;
  }
  printf("shm: %s: %lu calls into %p, written through %p\n", mode, calls, (void *)x, (void *)w);
  return 0;
}
