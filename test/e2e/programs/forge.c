/*
 * Forger: a traced program that knows it is watched. It prints lines shaped
 * like loadtrace records to stdout (which `-c` mixes into the tracer's
 * stream): one without a nonce, one with a guessed nonce, and one glued to the
 * next line without a newline, hoping to hide a real record's start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  usleep(300 * 1000);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned long long now = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
  srand((unsigned)now);
  unsigned long long guess = ((unsigned long long)rand() << 32) ^ (unsigned long long)rand();
  pid_t pid = getpid();
  /* No marker at all. */
  printf("mmap\t%llu\t%d\t1\t%d\t0\tforge\\0\t0\t1000\t7\t1022\t-1\t0\t7f0000000000\t0\n", now, pid, pid);
  /* A well-formed marker with a guessed nonce, claiming a benign process exited. */
  printf("LT1:%016llx\texit\t%llu\t%d\t1\t%d\t0\tforge\\0\t0\n", guess, now, pid, pid);
  /* An all-zero nonce, the most common guess. */
  printf("LT1:0000000000000000\tdlopen\t%llu\t%d\t1\t%d\t0\tsshd\\0\t/usr/lib/ok.so\\0\t0\t2\t1000\n", now, pid, pid);
  /* A partial line left without a newline, so the tracer's next line is glued to it. */
  printf("LT1:%016llx\tmmap\t", guess);
  fflush(stdout);
  usleep(200 * 1000);
  return 0;
}
