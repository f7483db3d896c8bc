// StopEscalation: system_powerdown -> wait -> quit -> wait -> SIGKILL.
#include "supervisor/core/stop_escalation.hpp"

#include <signal.h>
#include <time.h>

#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/core/run_state.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

std::string seconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return fmt::format("{}s", ms.count() / 1000);
  return fmt::format("{}ms", ms.count());
}

}  // namespace

Result<void> StopEscalation::request(std::string_view why) {
  if (!active_) {
    active_ = true;
    say(sd::LogLevel::notice, "{}: stopping the VM.", why);
    return run(Step::powerdown);
  }
  if (step_ == Step::kill) return {};
  say(sd::LogLevel::notice, "{} again: not waiting any longer.", why);
  return run(step_ == Step::powerdown ? Step::quit : Step::kill);
}

Result<void> StopEscalation::request_quit(std::string_view why) {
  if (active_ && step_ != Step::powerdown) return {};
  active_ = true;
  say(sd::LogLevel::notice, "{}: quitting QEMU.", why);
  return run(Step::quit);
}

Result<void> StopEscalation::run(Step step) {
  step_ = step;
  qmp::Client* client = qmp_();
  bool qmp_up = client != nullptr && client->state() == qmp::ClientState::running;
  switch (step) {
    case Step::powerdown:
      if (qmp_up) {
        // A guest that is paused or crashed cannot react to the button: asked first, so that
        // its stop does not wait the whole shutdown_timeout for nothing.
        std::weak_ptr<char> alive = alive_;
        auto asked = client->execute(qmp::query_status(), kStatusTimeout, [this, alive](Result<JsonValue> status) {
          if (alive.expired() || step_ != Step::powerdown) return;  // asked again meanwhile
          if (auto r = press_button(status); !r) sd::log_error("Failed to stop QEMU: {}", r.error().message);
        });
        if (asked) return {};
      }
      [[fallthrough]];
    case Step::quit:
      if (qmp_up) {
        if (step == Step::quit) {
          say(sd::LogLevel::notice, "Quitting QEMU; waiting up to {} for it to exit.", seconds(kQuitTimeout));
        }
        (void)client->execute(qmp::quit(), kQuitTimeout, [](Result<JsonValue>) {});
      } else {
        say(sd::LogLevel::notice,
            "QMP is not connected; sending SIGTERM to QEMU (PID {}), waiting up to {} for it to exit.", process_.pid(),
            seconds(kQuitTimeout));
        VMFORGE_TRY_VOID(process_.kill(SIGTERM));
      }
      step_ = Step::quit;
      return arm(kQuitTimeout);
    case Step::kill:
      say(sd::LogLevel::warning, "Killing QEMU (PID {}) with SIGKILL; the guest may lose data.", process_.pid());
      return process_.kill(SIGKILL);
  }
  return {};
}

Result<void> StopEscalation::press_button(const Result<JsonValue>& status) {
  qmp::Client* client = qmp_();
  std::string run_state = status ? std::string(status->get_string("status").value_or("unknown")) : "unknown";
  if (client == nullptr || !run_state_can_power_off(run_state)) {
    say(sd::LogLevel::notice, "QEMU's run state is '{}': the guest cannot react to the power button; quitting QEMU.",
        run_state);
    return run(Step::quit);
  }
  say(sd::LogLevel::notice, "Sending ACPI power button event to the guest; waiting up to {} for it to power off.",
      seconds(shutdown_timeout_));
  (void)client->execute(qmp::system_powerdown(), kQuitTimeout, [](Result<JsonValue> r) {
    if (!r) sd::log_warning("Failed to send the power button event: {}", r.error().message);
  });
  return arm(shutdown_timeout_);
}

Result<void> StopEscalation::on_timer(std::uint64_t) {
  if (step_ == Step::powerdown) {
    say(sd::LogLevel::warning, "The guest did not power off within {}; quitting QEMU.", seconds(shutdown_timeout_));
    return run(Step::quit);
  }
  say(sd::LogLevel::warning, "QEMU did not exit within {} of being asked to quit.", seconds(kQuitTimeout));
  return run(Step::kill);
}

Result<void> StopEscalation::arm(std::chrono::milliseconds after) {
  std::uint64_t when = sd::loop_now_usec(event_) + static_cast<std::uint64_t>(after.count()) * 1000;
  if (!timer_.valid()) {
    VMFORGE_TRY(timer_, sd::add_time<&StopEscalation::on_timer>(event_, CLOCK_MONOTONIC, when, 0, this, "stop-timer"));
    return {};
  }
  VMFORGE_TRY_VOID(timer_.set_time(when));
  return timer_.set_enabled(sd::Enabled::oneshot);
}

}  // namespace vmforge::supervisor
