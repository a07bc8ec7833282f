/*
 * Live-overhead workload: a plugin host. Loads P plugins (plugin.c built P times) and
 * serves requests: each request runs a plugin's handler over a buffer (the compute between
 * calls), and every E-th request looks its handler up by name again with dlsym (a dispatcher
 * resolving by name, an FFI binding), the others call through the pointer already resolved.
 *
 *   plugin-host once   DIR P R WORDS E    dlopen every plugin once and dlsym plugin_init and its
 *                                         16 ops (17 lookups a plugin), serve R requests, dlclose all
 *   plugin-host reload DIR P R WORDS E C  the same requests in C cycles: every plugin dlopen'd (and
 *                                         its 17 symbols resolved) at the start of a cycle and
 *                                         dlclose'd at its end, as a host reloading its plugins does
 *
 * WORDS is the request's buffer in 8-byte words. calls= counts dlopen + dlsym + dlclose.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bench-common.h"

typedef uint64_t (*op_fn)(const uint64_t *, size_t);
typedef int (*init_fn)(void);

static char op_names[16][8];
static long calls;

static op_fn ops[64][16];

static void *load(const char *dir, long k) {
  char path[4096];
  snprintf(path, sizeof path, "%s/plugin-%ld.so", dir, k);
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  calls++;
  if (h == NULL) { fprintf(stderr, "dlopen: %s\n", dlerror()); exit(1); }
  init_fn init = (init_fn)dlsym(h, "plugin_init");
  calls++;
  if (init == NULL || init() != (int)k) { fprintf(stderr, "plugin_init of %s\n", path); exit(1); }
  for (int s = 0; s < 16; s++) {
    calls++;
    ops[k][s] = (op_fn)dlsym(h, op_names[s]);
    if (ops[k][s] == NULL) { fprintf(stderr, "dlsym %s: %s\n", op_names[s], dlerror()); exit(1); }
  }
  return h;
}

static uint64_t serve(void **h, long p, long from, long to, const uint64_t *buf, size_t words, long every) {
  uint64_t acc = 0;
  for (long r = from; r < to; r++) {
    op_fn f = ops[r % p][r % 16];
    if (r % every == 0) {
      f = (op_fn)dlsym(h[r % p], op_names[r % 16]);
      calls++;
      if (f == NULL) { fprintf(stderr, "dlsym: %s\n", dlerror()); exit(1); }
    }
    acc += f(buf, words);
  }
  return acc;
}

int main(int argc, char **argv) {
  if (argc < 7) { fprintf(stderr, "usage: plugin-host once|reload DIR P R WORDS E [C]\n"); return 2; }
  int reload = strcmp(argv[1], "reload") == 0;
  const char *dir = argv[2];
  long p = atol(argv[3]), requests = atol(argv[4]);
  size_t words = (size_t)atol(argv[5]);
  long every = atol(argv[6]);
  long cycles = reload ? (argc > 7 ? atol(argv[7]) : 10) : 1;
  if (p < 1 || p > 64 || every < 1 || cycles < 1) { fprintf(stderr, "P must be 1..64, E and C at least 1\n"); return 2; }
  for (int s = 0; s < 16; s++) snprintf(op_names[s], sizeof op_names[s], "op_%d", s);
  uint64_t *buf = malloc(words * sizeof *buf);
  void **h = calloc((size_t)p, sizeof *h);
  if (buf == NULL || h == NULL) return 1;
  for (size_t i = 0; i < words; i++) buf[i] = i * 0x9e3779b97f4a7c15ULL;
  uint64_t acc = 0;
  bench_mark t0 = bench_now();
  for (long c = 0; c < cycles; c++) {
    for (long k = 0; k < p; k++) h[k] = load(dir, k);
    acc += serve(h, p, requests * c / cycles, requests * (c + 1) / cycles, buf, words, every);
    for (long k = 0; k < p; k++) { dlclose(h[k]); calls++; }
  }
  bench_mark t1 = bench_now();
  bench_report(reload ? "plugin-reload" : "plugin-host", calls, t0, t1, (double)(acc & 0xffff));
  return 0;
}
