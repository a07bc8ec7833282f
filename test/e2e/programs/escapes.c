/*
 * Escapes: dlopen() paths holding escape sequences, control characters,
 * record-shaped text and very long names. None of them exists; every call
 * fails, and each must still be recorded exactly.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  usleep(300 * 1000);
  static const char *paths[] = {
    "/tmp/esc\\t\\n\\\\x.so",
    "/tmp/tab\there.so",
    "/tmp/nl\nLT1:0000000000000000\tdlopen\tfake.so",
    "/tmp/quote\"'`$(id).so",
    "/tmp/\x01\x7f\xff\xfe-bytes.so",
  };
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) dlopen(paths[i], RTLD_NOW);
  char longp[1024];
  strcpy(longp, "/tmp/");
  memset(longp + 5, 'L', 900);
  strcpy(longp + 905, ".so");
  dlopen(longp, RTLD_NOW);
  printf("escapes: %zu paths tried\n", sizeof paths / sizeof *paths + 1);
  return 0;
}
