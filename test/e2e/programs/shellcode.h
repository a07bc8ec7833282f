/* Machine code for a counted spin loop that returns, for the programs that run code from anonymous memory. */
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__)
/* mov ecx, imm32; loop: dec ecx; jnz loop; ret */
static size_t put_spin(unsigned char *p, unsigned count) {
  p[0] = 0xb9;
  memcpy(p + 1, &count, 4);
  p[5] = 0xff; p[6] = 0xc9;
  p[7] = 0x75; p[8] = 0xfc;
  p[9] = 0xc3;
  return 10;
}
#elif defined(__aarch64__)
/* mov w0, #imm16 (count is capped to 16 bits); loop: subs w0, w0, #1; b.ne loop; ret */
static size_t put_spin(unsigned char *p, unsigned count) {
  unsigned ins[4];
  if (count > 0xffff) count = 0xffff;
  ins[0] = 0x52800000u | (count << 5);
  ins[1] = 0x71000400u;
  ins[2] = 0x54ffffe1u;
  ins[3] = 0xd65f03c0u;
  memcpy(p, ins, sizeof ins);
  return sizeof ins;
}
#else
#error "unsupported architecture"
#endif

typedef void (*spin_fn)(void);
