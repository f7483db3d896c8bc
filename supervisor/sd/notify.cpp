// sd_notify messages.
#include "supervisor/sd/notify.hpp"
#include "supervisor/sd/libsystemd.hpp"

#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace vmforge::sd {
namespace {

// Without libsystemd there is no loop either, so no service manager to tell anything.
void send(const std::string& message) {
  if (auto lib = load_libsystemd()) (void)(*lib)->sd_notify(/* unset_environment= */ 0, message.c_str());
}

}  // namespace

void Notifier::ready(std::string_view status_text) {
  if (ready_sent_) {
    status(status_text);
    return;
  }
  ready_sent_ = true;
  send(fmt::format("READY=1\nSTATUS={}", status_text));
}

void Notifier::status(std::string_view status_text) { send(fmt::format("STATUS={}", status_text)); }

void Notifier::stopping(std::string_view status_text, std::chrono::microseconds extend) {
  std::string message = fmt::format("STOPPING=1\nSTATUS={}", status_text);
  if (extend.count() > 0) message += fmt::format("\nEXTEND_TIMEOUT_USEC={}", extend.count());
  send(message);
}

void Notifier::watchdog() { send("WATCHDOG=1"); }

std::chrono::microseconds Notifier::watchdog_interval() {
  std::uint64_t usec = 0;
  auto lib = load_libsystemd();
  if (!lib || (*lib)->sd_watchdog_enabled(/* unset_environment= */ 0, &usec) <= 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(usec);
}

}  // namespace vmforge::sd
