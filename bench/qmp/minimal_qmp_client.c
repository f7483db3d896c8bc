/* minimal_qmp_client: the baseline for the QMP benchmark, a plain C client on a blocking unix
 * socket with no JSON parsing at all (it counts reply lines), i.e. the fastest a client can be.
 *
 *   minimal_qmp_client SOCKET serial N        N query-status round trips, one at a time
 *   minimal_qmp_client SOCKET pipelined N     N query-status written while replies are read
 *   minimal_qmp_client SOCKET script FILE     every line of FILE pipelined; fails on an error reply
 *   minimal_qmp_client SOCKET serial-script FILE   every line of FILE, one at a time (each sent
 *                                            after the previous reply); fails on an error reply
 *
 * A script line "@r PATH<TAB>JSON" or "@w PATH<TAB>JSON" sends JSON with PATH opened read-only
 * or read-write (SCM_RIGHTS), for add-fd; pipelined, it goes out alone once every earlier reply
 * is in (QEMU gives the fd to the next command it reads), as vmforge's client does.
 *
 * Prints one JSON object: {"client":"minimal-c","mode":…,"n":…,"seconds":…,"p50_us":…,"p99_us":…}. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char in[1 << 20];
static size_t in_len;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char* what) {
  fprintf(stderr, "minimal_qmp_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Consumes complete lines from `in`; returns how many were replies, and counts error replies. */
static long take_replies(long* errors) {
  long replies = 0;
  char *start = in, *nl;
  while ((nl = memchr(start, '\n', in_len - (size_t)(start - in))) != NULL) {
    *nl = '\0';
    if (strstr(start, "\"return\"") != NULL) replies++;
    if (strstr(start, "\"error\"") != NULL) {
      replies++;
      (*errors)++;
      fprintf(stderr, "minimal_qmp_client: %s\n", start);
    }
    start = nl + 1;
  }
  in_len -= (size_t)(start - in);
  memmove(in, start, in_len);
  return replies;
}

static long read_some(int fd, long* errors) {
  ssize_t n = read(fd, in + in_len, sizeof in - in_len);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n <= 0) die("read");
  in_len += (size_t)n;
  return take_replies(errors);
}

static void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) die("write");
    data += n;
    len -= (size_t)n;
  }
}

/* Reads until `want` replies came; returns how many were errors. */
static long wait_replies(int fd, long want) {
  long errors = 0, got = 0;
  while (got < want) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0) die("poll");
    got += read_some(fd, &errors);
  }
  return errors;
}

/* Sends one script line of `len` bytes, "@r PATH\tJSON\n" / "@w PATH\tJSON\n" with the file. */
static void send_line(int fd, const char* line, size_t len) {
  if (line[0] != '@') {
    write_all(fd, line, len);
    return;
  }
  const char* tab = memchr(line, '\t', len);
  char path[4096];
  size_t path_len = tab == NULL ? 0 : (size_t)(tab - line) - 3;
  if (tab == NULL || path_len >= sizeof path) {
    errno = EINVAL;
    die("script line with a file");
  }
  memcpy(path, line + 3, path_len);
  path[path_len] = '\0';
  int file = open(path, (line[1] == 'w' ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (file < 0) die(path);
  struct iovec iov = {(void*)(tab + 1), len - (size_t)(tab + 1 - line)};
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &file, sizeof file);
  if (sendmsg(fd, &msg, 0) != (ssize_t)iov.iov_len) die("sendmsg");
  close(file);
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* Writes `out` while reading replies until `want` replies came; returns the error count. */
static long pipeline(int fd, const char* out, size_t out_len, long want) {
  long errors = 0, got = 0;
  size_t sent = 0;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  while (got < want) {
    struct pollfd p = {fd, (short)(POLLIN | (sent < out_len ? POLLOUT : 0)), 0};
    if (poll(&p, 1, -1) < 0) die("poll");
    if ((p.revents & POLLOUT) && sent < out_len) {
      ssize_t n = write(fd, out + sent, out_len - sent);
      if (n < 0 && errno != EAGAIN) die("write");
      if (n > 0) sent += (size_t)n;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) got += read_some(fd, &errors);
  }
  return errors;
}

/* `script` (`len` bytes) pipelined; a line with a file goes out alone, once the replies to
 * every earlier line are in. */
static long pipeline_script(int fd, char* script, size_t len) {
  long errors = 0, batch_lines = 0;
  char* batch = script;
  for (char *line = script, *end; line < script + len; line = end + 1) {
    end = memchr(line, '\n', len - (size_t)(line - script));
    if (end == NULL) break;
    if (line[0] != '@') {
      batch_lines++;
      continue;
    }
    if (batch_lines > 0) errors += pipeline(fd, batch, (size_t)(line - batch), batch_lines);
    send_line(fd, line, (size_t)(end - line) + 1);
    errors += wait_replies(fd, 1);
    batch = end + 1;
    batch_lines = 0;
  }
  if (batch_lines > 0) errors += pipeline(fd, batch, (size_t)(script + len - batch), batch_lines);
  return errors;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: minimal_qmp_client SOCKET serial|pipelined N | SOCKET script|serial-script FILE\n");
    return 2;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) < 0) die("connect");
  while (memchr(in, '\n', in_len) == NULL) {
    ssize_t n = read(fd, in + in_len, sizeof in - in_len);
    if (n <= 0) die("greeting");
    in_len += (size_t)n;
  }
  in_len = 0; /* the greeting offers oob; negotiate it as vmforge's client does */
  const char caps[] = "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}\n";
  write_all(fd, caps, sizeof caps - 1);
  wait_replies(fd, 1);

  const char* mode = argv[2];
  const char cmd[] = "{\"execute\":\"query-status\",\"id\":1}\n";
  long n = 0, errors = 0;
  double p50 = 0, p99 = 0, start, seconds;
  if (strcmp(mode, "serial") == 0) {
    n = atol(argv[3]);
    double* lat = malloc(sizeof(double) * (size_t)n);
    start = now();
    for (long i = 0; i < n; i++) {
      double t = now();
      write_all(fd, cmd, sizeof cmd - 1);
      wait_replies(fd, 1);
      lat[i] = now() - t;
    }
    seconds = now() - start;
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    p50 = lat[n / 2] * 1e6;
    p99 = lat[n * 99 / 100] * 1e6;
  } else if (strcmp(mode, "pipelined") == 0) {
    n = atol(argv[3]);
    size_t len = (sizeof cmd - 1) * (size_t)n;
    char* out = malloc(len);
    for (long i = 0; i < n; i++) memcpy(out + (size_t)i * (sizeof cmd - 1), cmd, sizeof cmd - 1);
    start = now();
    errors = pipeline(fd, out, len, n);
    seconds = now() - start;
  } else if (strcmp(mode, "script") == 0 || strcmp(mode, "serial-script") == 0) {
    FILE* f = fopen(argv[3], "r");
    if (f == NULL) die(argv[3]);
    static char script[1 << 20];
    size_t len = fread(script, 1, sizeof script, f);
    fclose(f);
    for (size_t i = 0; i < len; i++) n += script[i] == '\n';
    start = now();
    if (strcmp(mode, "script") == 0) {
      errors = pipeline_script(fd, script, len);
    } else {
      for (char *line = script, *end; line < script + len; line = end + 1) {
        end = memchr(line, '\n', len - (size_t)(line - script));
        if (end == NULL) break;
        send_line(fd, line, (size_t)(end - line) + 1);
        errors += wait_replies(fd, 1);
      }
    }
    seconds = now() - start;
  } else {
    fprintf(stderr, "minimal_qmp_client: unknown mode '%s'\n", mode);
    return 2;
  }
  printf("{\"client\":\"minimal-c\",\"mode\":\"%s\",\"n\":%ld,\"seconds\":%.6f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
         mode, n, seconds, p50, p99);
  return errors == 0 ? 0 : 1;
}
