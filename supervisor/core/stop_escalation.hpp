// StopEscalation: how the supervisor stops QEMU, gently first. ACPI power button
// (system_powerdown), wait for the guest up to [supervisor] shutdown_timeout, then `quit`,
// wait kQuitTimeout, then SIGKILL. Every step is announced (logged, and shown to `vmforge stop`). The owner ends it
// when QEMU exits (destroying it cancels the pending timer). A guest whose run state cannot react to the button
// (paused, crashed) goes straight to `quit`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "compiler/base/result.hpp"
#include "supervisor/qmp/client.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/log.hpp"
#include "supervisor/sd/process_watch.hpp"

namespace vmforge::supervisor {

class StopEscalation {
 public:
  enum class Step { powerdown, quit, kill };

  /// How long QEMU gets to exit after `quit` before SIGKILL.
  static constexpr std::chrono::milliseconds kQuitTimeout{10000};
  /// How long the run state may take to come before the power button (no answer: `quit`).
  static constexpr std::chrono::milliseconds kStatusTimeout{5000};

  /// Says what a step does, as it begins.
  using Announce = std::function<void(sd::LogLevel, std::string_view)>;

  /// `qmp` returns the QMP client, or nullptr while there is none (QEMU then gets SIGTERM,
  /// its own orderly quit, instead of the power button). `process` must outlive this object.
  StopEscalation(sd_event* event, std::function<qmp::Client*()> qmp, sd::ProcessWatch& process,
                 std::chrono::milliseconds shutdown_timeout, Announce announce)
      : event_(event),
        qmp_(std::move(qmp)),
        process_(process),
        shutdown_timeout_(shutdown_timeout),
        announce_(std::move(announce)) {}

  /// Starts with the power button. Called again while running, it skips to the next step
  /// (a second Ctrl-C or `vmforge stop` means "faster").
  Result<void> request(std::string_view why);
  /// Starts at `quit` (the guest cannot be asked: it never booted, or start-up failed).
  Result<void> request_quit(std::string_view why);

  bool active() const { return active_; }
  /// True once SIGKILL was sent: the guest may have lost data.
  bool killed() const { return step_ == Step::kill && active_; }
  /// The longest a stop can take from now, for EXTEND_TIMEOUT_USEC=.
  std::chrono::milliseconds worst_case() const { return shutdown_timeout_ + kQuitTimeout * 2; }

 private:
  Result<void> run(Step step);
  Result<void> press_button(const Result<JsonValue>& status);
  Result<void> on_timer(std::uint64_t usec);
  Result<void> arm(std::chrono::milliseconds after);
  template <class... Args>
  void say(sd::LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
    announce_(level, fmt::format(format, std::forward<Args>(args)...));
  }

  sd_event* event_;
  std::function<qmp::Client*()> qmp_;
  sd::ProcessWatch& process_;
  std::chrono::milliseconds shutdown_timeout_;
  Announce announce_;
  Step step_ = Step::powerdown;
  bool active_ = false;
  sd::EventSource timer_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // for QMP replies after our end
};

}  // namespace vmforge::supervisor
