// Tests for read_process_progress(): a sleeper makes no progress, a busy process does.
#include "supervisor/core/process_progress.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <catch2/catch.hpp>

using namespace vmforge::supervisor;

TEST_CASE("a sleeping process makes no progress; a busy one does; a gone one has none", "[progress]") {
  pid_t sleeper = fork();
  REQUIRE(sleeper >= 0);
  if (sleeper == 0) {
    for (;;) pause();
  }
  usleep(100000);
  auto first = read_process_progress(sleeper);
  REQUIRE(first);
  usleep(200000);
  auto later = read_process_progress(sleeper);
  REQUIRE(later);
  CHECK(later->state == 'S');
  CHECK_FALSE(made_progress(*later, first->cpu_ticks));
  kill(sleeper, SIGKILL);
  waitpid(sleeper, nullptr, 0);
  CHECK_FALSE(read_process_progress(sleeper));

  auto self = read_process_progress(getpid());
  REQUIRE(self);
  CHECK(self->state == 'R');  // reading its own stat, it runs
  CHECK(made_progress(*self, self->cpu_ticks));
  CHECK(made_progress(ProcessProgress{'S', 12}, 11));  // used CPU meanwhile
  CHECK(made_progress(ProcessProgress{'D', 11}, 11));  // in I/O (preallocating RAM)
}
