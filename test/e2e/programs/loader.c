/*
 * Loader: dlopen() a library from a user-writable path given in argv[1]
 * (the test puts a space and a tab in it), dlopen(NULL), and dlsym() through
 * RTLD_DEFAULT, including a sensitive symbol (mprotect).
 *
 * "@FILE" as argv[1] reads the path, byte for byte, from FILE: the tracers
 * split -c on whitespace without a shell, and bpftrace only starts ELF
 * executables, so a path holding a space or a tab cannot be passed as a word.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: loader LIBRARY|@FILE\n");
    return 2;
  }
  char from_file[4096];
  const char *path = argv[1];
  if (path[0] == '@') {
    FILE *f = fopen(path + 1, "rb");
    if (!f) {
      perror(path + 1);
      return 2;
    }
    size_t n = fread(from_file, 1, sizeof from_file - 1, f);
    fclose(f);
    from_file[n] = '\0';
    if (n == 0 || strlen(from_file) != n) {
      fprintf(stderr, "loader: %s must hold one path without NUL bytes\n", path + 1);
      return 2;
    }
    path = from_file;
  }
  /* Give the tracer time to attach its uprobes before the calls under test. */
  usleep(300 * 1000);
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
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
