// process_age from procfs.
#include "supervisor/launch/process_age.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "compiler/base/read_file.hpp"

namespace vmforge::launch {
namespace {

// Field 22 of /proc/PID/stat (clock ticks after boot), counted after the ")" that ends the
// command name, which may itself hold spaces and parentheses.
std::optional<unsigned long long> start_ticks(const std::string& stat) {
  size_t pos = stat.rfind(')');
  if (pos == std::string::npos) return std::nullopt;
  for (int field = 2; field < 22; ++field) {
    pos = stat.find(' ', pos + 1);
    if (pos == std::string::npos) return std::nullopt;
  }
  char* end = nullptr;
  unsigned long long ticks = std::strtoull(stat.c_str() + pos + 1, &end, 10);
  if (end == stat.c_str() + pos + 1) return std::nullopt;
  return ticks;
}

}  // namespace

std::optional<std::chrono::milliseconds> process_age(pid_t pid) {
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  auto uptime = read_file("/proc/uptime");
  if (!stat || !uptime) return std::nullopt;
  auto ticks = start_ticks(*stat);
  long hz = sysconf(_SC_CLK_TCK);
  if (!ticks || hz <= 0) return std::nullopt;
  char* end = nullptr;
  double up = std::strtod(uptime->c_str(), &end);
  if (end == uptime->c_str()) return std::nullopt;
  auto age =
      static_cast<long long>(up * 1000) - static_cast<long long>(*ticks * 1000 / static_cast<unsigned long long>(hz));
  return std::chrono::milliseconds(age < 0 ? 0 : age);
}

}  // namespace vmforge::launch
