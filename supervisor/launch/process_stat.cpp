// process_age and last_cpu from procfs.
#include "supervisor/launch/process_stat.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "compiler/base/read_file.hpp"

namespace vmforge::launch {
namespace {

// Field `field` of /proc/PID/stat as a number, counted after the ")" that ends the command
// name (field 2), which may itself hold spaces and parentheses; nullopt without such a process.
std::optional<unsigned long long> stat_field(pid_t pid, int field) {
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  if (!stat) return std::nullopt;
  size_t pos = stat->rfind(')');
  if (pos == std::string::npos) return std::nullopt;
  for (int at = 2; at < field; ++at) {
    pos = stat->find(' ', pos + 1);
    if (pos == std::string::npos) return std::nullopt;
  }
  char* end = nullptr;
  unsigned long long value = std::strtoull(stat->c_str() + pos + 1, &end, 10);
  if (end == stat->c_str() + pos + 1) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> process_age(pid_t pid) {
  auto ticks = stat_field(pid, 22);  // the start time, in clock ticks after boot
  auto uptime = read_file("/proc/uptime");
  long hz = sysconf(_SC_CLK_TCK);
  if (!ticks || !uptime || hz <= 0) return std::nullopt;
  char* end = nullptr;
  double up = std::strtod(uptime->c_str(), &end);
  if (end == uptime->c_str()) return std::nullopt;
  auto age =
      static_cast<long long>(up * 1000) - static_cast<long long>(*ticks * 1000 / static_cast<unsigned long long>(hz));
  return std::chrono::milliseconds(age < 0 ? 0 : age);
}

std::optional<int> last_cpu(pid_t pid) {
  auto cpu = stat_field(pid, 39);
  if (!cpu) return std::nullopt;
  return static_cast<int>(*cpu);
}

}  // namespace vmforge::launch
