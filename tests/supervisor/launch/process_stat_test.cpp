// process_stat: a child's age grows with time; the CPU a process last ran on; a process that
// does not exist has neither.
#include "supervisor/launch/process_stat.hpp"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"

using namespace std::chrono_literals;

TEST_CASE("process_age: the time since a process started, from its start time", "[process_age]") {
  vmforge::launch::SpawnOptions options;
  options.argv = {"/bin/sleep", "30"};
  auto child = vmforge::launch::spawn(options);
  REQUIRE(child);
  auto young = vmforge::launch::process_age(child->pid());
  REQUIRE(young);
  CHECK(*young < 5s);
  std::this_thread::sleep_for(1200ms);
  auto older = vmforge::launch::process_age(child->pid());
  REQUIRE(older);
  // Clock ticks and /proc/uptime's centiseconds: a little less than the 1.2 s slept is fine.
  CHECK(*older - *young >= 1000ms);
  (void)child->signal(SIGKILL);
  (void)child->wait(5s);
  CHECK_FALSE(vmforge::launch::process_age(child->pid()));
}

TEST_CASE("last_cpu: the CPU a process last ran on", "[process_stat]") {
  // Pinned to the CPU it is on, this process last ran there when it reads its own stat.
  cpu_set_t allowed;
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  int here = sched_getcpu();
  REQUIRE(here >= 0);
  cpu_set_t pinned;
  CPU_ZERO(&pinned);
  CPU_SET(here, &pinned);
  REQUIRE(sched_setaffinity(0, sizeof pinned, &pinned) == 0);
  auto cpu = vmforge::launch::last_cpu(getpid());
  REQUIRE(sched_setaffinity(0, sizeof allowed, &allowed) == 0);
  REQUIRE(cpu);
  CHECK(*cpu == here);

  vmforge::launch::SpawnOptions options;
  options.argv = {"/bin/true"};
  auto child = vmforge::launch::spawn(options);
  REQUIRE(child);
  REQUIRE(child->wait(5s));
  CHECK_FALSE(vmforge::launch::last_cpu(child->pid()));
}
