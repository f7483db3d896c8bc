/* start_timer: times one VM start-up, both ways spawning with posix_spawn like vmforge does.
 *   start_timer raw DIR QEMU ARGS...       spawn -> first QMP reply (qmp_capabilities); QMP
 *                                          listening socket DIR/raw.sock passed as fd 3
 *   start_timer raw-running DIR QEMU ARGS... the same, then `cont` -> the RESUME event: the guest
 *                                          runs, as it does when vmforge says READY=1
 *   start_timer run DIR VMFORGE MANIFEST   `VMFORGE run MANIFEST --runtime-dir DIR/run` ->
 *                                          READY=1 on NOTIFY_SOCKET DIR/notify
 * Prints the milliseconds, then stops what it started. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static struct sockaddr_un address(const char* dir, const char* name) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s", dir, name);
  unlink(addr.sun_path);
  return addr;
}

/* Reads up to and including the next '\n' (QMP lines are short here). */
static void read_line(int fd, char* buf, size_t size) {
  size_t n = 0;
  while (n + 1 < size) {
    ssize_t r = read(fd, buf + n, 1);
    if (r <= 0) die("read");
    if (buf[n++] == '\n') break;
  }
  buf[n] = '\0';
}

static int raw(const char* dir, char** argv, int resume) {
  double start = now_ms();
  struct sockaddr_un addr = address(dir, "raw.sock");
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(listener, 1) < 0) die("listen");
  int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(client, (struct sockaddr*)&addr, sizeof addr) < 0) die("connect");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, listener, 3);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0) die("posix_spawn");
  close(listener);
  char line[4096];
  read_line(client, line, sizeof line);
  /* Pipelined like vmforge's own start-up: QEMU runs a monitor's commands in order. */
  const char* caps =
      resume ? "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"cont\"}\n" : "{\"execute\":\"qmp_capabilities\"}\n";
  if (write(client, caps, strlen(caps)) < 0) die("write");
  read_line(client, line, sizeof line);
  if (!strstr(line, "\"return\"")) {
    fprintf(stderr, "start_timer: unexpected reply %s", line);
    return 1;
  }
  while (resume && !strstr(line, "\"RESUME\"")) read_line(client, line, sizeof line);
  double elapsed = now_ms() - start;
  const char* quit = "{\"execute\":\"quit\"}\n";
  if (write(client, quit, strlen(quit)) < 0) die("write");
  waitpid(pid, NULL, 0);
  printf("%.3f\n", elapsed);
  return 0;
}

static int run(const char* dir, const char* vmforge, const char* manifest) {
  double start = now_ms();
  struct sockaddr_un addr = address(dir, "notify");
  int notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (bind(notify, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");
  setenv("NOTIFY_SOCKET", addr.sun_path, 1);
  char rundir[4096];
  snprintf(rundir, sizeof rundir, "%s/run", dir);
  char* argv[] = {(char*)vmforge, "run", (char*)manifest, "--runtime-dir", rundir, NULL};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  if (posix_spawn(&pid, vmforge, &actions, NULL, argv, environ) != 0) die("posix_spawn");
  char message[4096];
  for (;;) {
    /* vmforge failing before READY=1 ends the wait (checked every 100 ms, off the timed path). */
    struct pollfd pfd = {.fd = notify, .events = POLLIN};
    if (poll(&pfd, 1, 100) == 0) {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        fprintf(stderr, "start_timer: %s ended before READY=1 (wait status %d)\n", vmforge, status);
        return 1;
      }
      continue;
    }
    ssize_t n = recv(notify, message, sizeof message - 1, 0);
    if (n < 0) die("recv");
    message[n] = '\0';
    if (strstr(message, "READY=1")) break;
  }
  double elapsed = now_ms() - start;
  /* Twice: the second SIGTERM skips the wait for a guest (there is none) and quits QEMU. */
  kill(pid, SIGTERM);
  usleep(100000);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  printf("%.3f\n", elapsed);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && strcmp(argv[1], "raw") == 0) return raw(argv[2], argv + 3, 0);
  if (argc >= 4 && strcmp(argv[1], "raw-running") == 0) return raw(argv[2], argv + 3, 1);
  if (argc == 5 && strcmp(argv[1], "run") == 0) return run(argv[2], argv[3], argv[4]);
  fprintf(stderr, "usage: start_timer raw|raw-running DIR QEMU ARGS... | start_timer run DIR VMFORGE MANIFEST\n");
  return 2;
}
