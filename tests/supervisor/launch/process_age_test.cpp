// process_age: a child's age grows with time; a process that does not exist has none.
#include "supervisor/launch/process_age.hpp"

#include <signal.h>

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
