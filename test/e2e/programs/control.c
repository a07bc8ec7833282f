/* Control: does ordinary work and none of the behaviours under test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  usleep(300 * 1000);
  unsigned long sum = 0;
  for (int i = 0; i < 100; i++) {
    char *p = malloc(4096 + (size_t)i * 512);
    memset(p, i, 4096);
    sum += (unsigned char)p[i];
    free(p);
  }
  printf("control: %lu\n", sum);
  return 0;
}
