// Logging for the supervisor: to journald with structured fields when stderr is the journal
// (systemd sets JOURNAL_STREAM), else one line per message on stderr. systemd's wording.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include <fmt/format.h>

namespace vmforge::sd {

/// syslog priorities, as journald's PRIORITY= field expects them.
enum class LogLevel { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// One extra journal field, e.g. {"QMP_EVENT", "SHUTDOWN"}. `name` must be upper case
/// [A-Z0-9_]; fields are dropped on the stderr path. Every message has SYSLOG_IDENTIFIER=vmforge
/// unless it gives its own.
struct LogField {
  std::string_view name;
  std::string_view value;
};

/// Sets the VM name added to every message (journal field VM=, stderr prefix "NAME: ") and
/// decides the destination once: the journal when JOURNAL_STREAM names our stderr. Debug
/// messages are written only when VMFORGE_LOG_LEVEL=debug.
void log_setup(std::string_view vm_name);

/// Whether log_setup() chose the journal (tests and `status` use it).
bool log_to_journal();

/// Writes one message. Never fails: a logging failure is not worth stopping a VM for.
void log_message(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

/// At most `burst` messages per `interval` (systemd's log_ratelimit): for a message that can
/// repeat without bound (a failing accept(), a flood of QMP events). One per call site.
class LogRateLimit {
 public:
  LogRateLimit(std::chrono::milliseconds interval, unsigned burst)
      : interval_usec_(interval.count() * 1000), burst_(burst) {}
  /// Whether a message at `now_usec` (CLOCK_MONOTONIC) may be written. When it opens a new
  /// interval, `suppressed` gets the number refused in the one before (else 0).
  bool admit(std::uint64_t now_usec, std::uint64_t& suppressed);

 private:
  std::uint64_t interval_usec_;
  unsigned burst_;
  std::uint64_t begin_ = 0;
  bool started_ = false;
  unsigned count_ = 0;
  std::uint64_t suppressed_ = 0;
};

/// log_message() within `limit`; the first message after suppressed ones says how many were.
void log_limited(LogRateLimit& limit, LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields = {});

template <class... Args>
void log_info(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void log_notice(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::notice, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void log_warning(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::warning, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void log_error(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::err, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void log_debug(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace vmforge::sd
