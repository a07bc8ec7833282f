/*
 * Loader: dlopen() a library from a user-writable path given in argv[1]
 * (the test puts a space and a tab in it), dlopen(NULL), and dlsym() through
 * RTLD_DEFAULT, including a sensitive symbol (mprotect).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: loader LIBRARY\n");
    return 2;
  }
  /* Give the tracer time to attach its uprobes before the calls under test. */
  usleep(300 * 1000);
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen failed: %s\n", dlerror());
    return 1;
  }
  int (*answer)(void) = (int (*)(void))dlsym(lib, "payload_answer");
  void *self = dlopen(NULL, RTLD_LAZY);
  void *mp = dlsym(RTLD_DEFAULT, "mprotect");
  void *gp = dlsym(RTLD_DEFAULT, "getpid");
  printf("loader: answer=%d self=%p mprotect=%p getpid=%p\n", answer ? answer() : -1, self, mp, gp);
  dlclose(lib);
  return 0;
}
