/* Spawn: fork a child that execs /bin/true, wait for it, and exit with status 3. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  usleep(300 * 1000);
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    execl("/bin/true", "true", (char *)NULL);
    perror("execl");
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("spawn: child %d exited with status %d\n", (int)child, status);
  return 3;
}
