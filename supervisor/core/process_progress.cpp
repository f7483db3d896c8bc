// read_process_progress(): fields 3, 14 and 15 of /proc/PID/stat (proc(5)).
#include "supervisor/core/process_progress.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "compiler/base/read_file.hpp"

namespace vmforge::supervisor {

std::optional<ProcessProgress> read_process_progress(pid_t pid) {
  auto text = read_file(fmt::format("/proc/{}/stat", pid));
  if (!text) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  std::size_t close = text->rfind(')');
  if (close == std::string::npos || close + 2 >= text->size()) return std::nullopt;
  const char* p = text->c_str() + close + 2;
  ProcessProgress progress;
  progress.state = *p;
  // From field 3 (state) on, fields are single tokens: skip to field 14.
  for (int field = 3; field < 14; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return std::nullopt;
    ++p;
  }
  char* end = nullptr;
  std::uint64_t utime = std::strtoull(p, &end, 10);
  if (end == p || *end != ' ') return std::nullopt;
  p = end + 1;
  std::uint64_t stime = std::strtoull(p, &end, 10);
  if (end == p) return std::nullopt;
  progress.cpu_ticks = utime + stime;
  return progress;
}

bool made_progress(const ProcessProgress& now, std::uint64_t before_ticks) {
  return now.cpu_ticks != before_ticks || now.state == 'R' || now.state == 'D';
}

}  // namespace vmforge::supervisor
