#include "supervisor/launch/cpu_affinity.hpp"

#include <sched.h>

#include <cerrno>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"

namespace vmforge::launch {
namespace {

std::string format_cpu_list(const cpu_set_t& set) {
  std::string list;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!list.empty()) list += ',';
    list += last == cpu ? fmt::format("{}", cpu) : fmt::format("{}-{}", cpu, last);
    cpu = last;
  }
  return list;
}

// The next CPU number of `text`, consumed.
std::optional<int> take_cpu(std::string_view& text) {
  int cpu = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpu);
  if (ec != std::errc() || cpu < 0 || cpu >= CPU_SETSIZE) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return cpu;
}

Result<cpu_set_t> parse_cpu_list(std::string_view list) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::string_view rest = list;
  while (!rest.empty()) {
    auto first = take_cpu(rest);
    auto last = first;
    if (first && !rest.empty() && rest.front() == '-') {
      rest.remove_prefix(1);
      last = take_cpu(rest);
    }
    if (!first || !last || *last < *first || (!rest.empty() && rest.front() != ',') || rest == ",") {
      return unexpected(Error(fmt::format("Invalid CPU list '{}': expected e.g. '0-3,8'", list), EINVAL));
    }
    if (!rest.empty()) rest.remove_prefix(1);
    for (int cpu = *first; cpu <= *last; ++cpu) CPU_SET(cpu, &set);
  }
  if (CPU_COUNT(&set) == 0) return unexpected(Error("Invalid CPU list '': it names no CPU", EINVAL));
  return set;
}

// The CPU `pid` last ran on: field 39 of /proc/PID/stat, counted after the ')' that ends the
// command name (which may hold spaces and parentheses). -1 if unknown.
int last_cpu_of(pid_t pid) {
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  if (!stat) return -1;
  size_t at = stat->rfind(')');
  for (int field = 2; field < 39 && at != std::string::npos; ++field) at = stat->find(' ', at + 1);
  if (at == std::string::npos) return -1;
  int cpu = -1;
  std::from_chars(stat->data() + at + 1, stat->data() + stat->size(), cpu);
  return cpu;
}

}  // namespace

std::string step_off_cpu_shared_with(pid_t pid) {
  cpu_set_t allowed;
  int current = sched_getcpu();
  if (current < 0 || last_cpu_of(pid) != current || sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2 ||
      !CPU_ISSET(current, &allowed)) {
    return {};
  }
  cpu_set_t others = allowed;
  CPU_CLR(current, &others);
  if (sched_setaffinity(0, sizeof others, &others) != 0) return {};
  return format_cpu_list(allowed);
}

Result<void> set_cpu_list(std::string_view list) {
  VMFORGE_TRY(cpu_set_t set, parse_cpu_list(list));
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    return unexpected(errno_error(fmt::format("Failed to let this process run on CPUs {}", list)));
  }
  return {};
}

}  // namespace vmforge::launch
