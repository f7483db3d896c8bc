// Logging to journald (structured) or stderr.
#include "supervisor/sd/log.hpp"
#include "supervisor/sd/libsystemd.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace vmforge::sd {
namespace {

struct LogState {
  std::string vm_name;
  bool journal = false;
  bool debug = false;
};

LogState& state() {
  static LogState s;
  return s;
}

// JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected to stdout/stderr; it only
// counts when it still names our stderr (a child may have redirected it).
bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) < 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void send_to_journal(const Libsystemd* lib, LogLevel level, std::string_view message,
                     std::initializer_list<LogField> fields) {
  std::vector<std::string> items;
  items.reserve(4 + fields.size());
  items.push_back(fmt::format("MESSAGE={}", message));
  items.push_back(fmt::format("PRIORITY={}", static_cast<int>(level)));
  bool named = false;
  for (const LogField& f : fields) named = named || f.name == "SYSLOG_IDENTIFIER";
  if (!named) items.emplace_back("SYSLOG_IDENTIFIER=vmforge");
  if (!state().vm_name.empty()) items.push_back(fmt::format("VM={}", state().vm_name));
  for (const LogField& f : fields) items.push_back(fmt::format("{}={}", f.name, f.value));
  std::vector<iovec> iov;
  iov.reserve(items.size());
  for (std::string& item : items) iov.push_back(iovec{item.data(), item.size()});
  (void)lib->sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

void send_to_stderr(std::string_view message) {
  std::string line = state().vm_name.empty() ? std::string(message) : fmt::format("{}: {}", state().vm_name, message);
  line.push_back('\n');
  // One write per line, so lines from several processes sharing the terminal do not interleave.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

void log_setup(std::string_view vm_name) {
  state().vm_name = std::string(vm_name);
  state().journal = stderr_is_journal();
  const char* level = std::getenv("VMFORGE_LOG_LEVEL");
  state().debug = level != nullptr && std::string_view(level) == "debug";
}

bool log_to_journal() { return state().journal; }

void log_message(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (level == LogLevel::debug && !state().debug) return;
  if (state().journal) {
    if (auto lib = load_libsystemd()) return send_to_journal(*lib, level, message, fields);
    // Without libsystemd the journal still gets the line, through stderr.
  }
  send_to_stderr(message);
}

bool LogRateLimit::admit(std::uint64_t now_usec, std::uint64_t& suppressed) {
  suppressed = 0;
  if (!started_ || now_usec - begin_ >= interval_usec_) {
    started_ = true;
    begin_ = now_usec;
    count_ = 0;
    suppressed = suppressed_;
    suppressed_ = 0;
  }
  if (count_ < burst_) {
    ++count_;
    return true;
  }
  ++suppressed_;
  return false;
}

void log_limited(LogRateLimit& limit, LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::uint64_t now = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  std::uint64_t suppressed = 0;
  bool admitted = limit.admit(now, suppressed);
  if (suppressed > 0) log_message(LogLevel::warning, fmt::format("Suppressed {} similar log messages.", suppressed));
  if (admitted) log_message(level, message, fields);
}

}  // namespace vmforge::sd
