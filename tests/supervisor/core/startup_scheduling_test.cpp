// OffQemusCpu: off the CPU the given process last ran on while it lives, its CPUs back after;
// nothing changes when that is another CPU, or the process does not exist.
#include "supervisor/core/startup_scheduling.hpp"

#include <sched.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"
#include "supervisor/launch/process_stat.hpp"

using namespace std::chrono_literals;
using vmforge::supervisor::OffQemusCpu;

namespace {

cpu_set_t affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
  return set;
}

void set_affinity(const cpu_set_t& set) { REQUIRE(sched_setaffinity(0, sizeof set, &set) == 0); }

cpu_set_t only(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return set;
}

// A child that spins on `cpu`, once it has run there.
vmforge::launch::Process spinner_on(int cpu) {
  vmforge::launch::SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "while :; do :; done"};
  auto child = vmforge::launch::spawn(options);
  REQUIRE(child);
  cpu_set_t set = only(cpu);
  REQUIRE(sched_setaffinity(child->pid(), sizeof set, &set) == 0);
  for (int i = 0; i < 200 && vmforge::launch::last_cpu(child->pid()) != cpu; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(vmforge::launch::last_cpu(child->pid()) == cpu);
  return std::move(*child);
}

}  // namespace

TEST_CASE("the supervisor leaves QEMU's CPU while QEMU starts, then gets its CPUs back", "[startup-scheduling]") {
  const cpu_set_t all = affinity();
  if (CPU_COUNT(&all) < 2) {
    WARN("one CPU allowed: there is nowhere else to run, nothing to check");
    return;
  }
  int cpu = -1;
  for (int c = 0; c < CPU_SETSIZE && cpu < 0; ++c) {
    if (CPU_ISSET(c, &all)) cpu = c;
  }
  auto qemu = spinner_on(cpu);
  // Put this thread on the spinner's CPU with all its CPUs allowed: it stays there until the
  // scheduler has a reason to move it, which the first tries give it seldom.
  bool moved = false;
  for (int attempt = 0; attempt < 20 && !moved; ++attempt) {
    set_affinity(only(cpu));
    set_affinity(all);
    OffQemusCpu away(qemu.pid());
    cpu_set_t during = affinity();
    moved = !CPU_EQUAL(&during, &all);
    if (moved) {
      cpu_set_t expected = all;
      CPU_CLR(cpu, &expected);
      CHECK(CPU_EQUAL(&during, &expected));
    }
  }
  CHECK(moved);
  cpu_set_t after = affinity();
  CHECK(CPU_EQUAL(&after, &all));
  (void)qemu.signal(SIGKILL);
  (void)qemu.wait(5s);
}

TEST_CASE("nothing changes for a process that does not exist", "[startup-scheduling]") {
  const cpu_set_t all = affinity();
  vmforge::launch::SpawnOptions options;
  options.argv = {"/bin/true"};
  auto gone = vmforge::launch::spawn(options);
  REQUIRE(gone);
  REQUIRE(gone->wait(5s));
  {
    OffQemusCpu away(gone->pid());
    cpu_set_t during = affinity();
    CHECK(CPU_EQUAL(&during, &all));
  }
  cpu_set_t after = affinity();
  CHECK(CPU_EQUAL(&after, &all));
}
