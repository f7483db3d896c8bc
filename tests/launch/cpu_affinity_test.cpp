// Tests for stepping off a CPU and back.
#include "supervisor/launch/cpu_affinity.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace vmforge;

namespace {

cpu_set_t current_affinity() {
  cpu_set_t set;
  REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
  return set;
}

}  // namespace

TEST_CASE("stepping off a CPU shared with a process and back restores the CPUs we had", "[affinity]") {
  cpu_set_t before = current_affinity();
  int cpu = sched_getcpu();
  std::string restore = launch::step_off_cpu_shared_with(getpid());  // shares our CPU, surely
  if (CPU_COUNT(&before) < 2) {
    CHECK(restore.empty());  // nowhere else to go: nothing changed
    return;
  }
  REQUIRE_FALSE(restore.empty());
  cpu_set_t during = current_affinity();
  CHECK(CPU_COUNT(&during) == CPU_COUNT(&before) - 1);
  CHECK_FALSE(CPU_ISSET(cpu, &during));
  REQUIRE(launch::set_cpu_list(restore));
  cpu_set_t after = current_affinity();
  CHECK(CPU_EQUAL(&after, &before));
}

TEST_CASE("no step aside for a process that is gone", "[affinity]") {
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(waitpid(child, nullptr, 0) == child);
  cpu_set_t before = current_affinity();
  CHECK(launch::step_off_cpu_shared_with(child).empty());
  cpu_set_t after = current_affinity();
  CHECK(CPU_EQUAL(&after, &before));
}

TEST_CASE("a CPU list is a comma-separated list of CPUs and ranges", "[affinity]") {
  cpu_set_t before = current_affinity();
  REQUIRE(launch::set_cpu_list("0"));
  cpu_set_t only0 = current_affinity();
  CHECK(CPU_COUNT(&only0) == 1);
  CHECK(CPU_ISSET(0, &only0));
  REQUIRE(sched_setaffinity(0, sizeof before, &before) == 0);

  std::string bad = GENERATE(std::string(""), std::string("x"), std::string("3-1"), std::string("0,"),
                             std::string(",0"), std::string("0-"), std::string("0;1"), std::string("99999"));
  INFO(bad);
  auto result = launch::set_cpu_list(bad);
  REQUIRE_FALSE(result);
  CHECK(result.error().errno_value == EINVAL);
  cpu_set_t unchanged = current_affinity();
  CHECK(CPU_EQUAL(&unchanged, &before));
}
