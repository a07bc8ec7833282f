/*
 * A plugin for plugin-host.c, built once per id (-DPLUGIN_ID=k -shared -fPIC): 16 entry
 * points op_0 … op_15, each a checksum of a buffer with its own constants, and plugin_init.
 */
#include <stddef.h>
#include <stdint.h>

#ifndef PLUGIN_ID
#define PLUGIN_ID 0
#endif

#define OP(k)                                                                        \
  uint64_t op_##k(const uint64_t *b, size_t n) {                                     \
    uint64_t h = 1469598103934665603ULL ^ (PLUGIN_ID * 131 + k);                     \
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * (1099511628211ULL + 2 * k);      \
    return h;                                                                        \
  }
OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7)
OP(8) OP(9) OP(10) OP(11) OP(12) OP(13) OP(14) OP(15)

int plugin_init(void) { return PLUGIN_ID; }
