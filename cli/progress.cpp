#include "cli/progress.hpp"

#include <unistd.h>

#include <cerrno>
#include <optional>

#include <fmt/format.h>

namespace vmforge::cli {
namespace {

// A STATUS event's text, or nullopt for any other line.
std::optional<std::string> status_text(const JsonValue& line) {
  if (line.get_string("event") != "STATUS") return std::nullopt;
  const JsonValue* data = line.find("data");
  auto text = data ? data->get_string("status") : std::nullopt;
  if (!text) return std::nullopt;
  return std::string(*text);
}

}  // namespace

Progress::Progress() : terminal_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (shown_) fmt::print(stderr, "\n");
}

void Progress::show(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  if (!terminal_) {
    fmt::print(stderr, "{}\n", text);
    return;
  }
  // Carriage return and erase to the end of the line: the new text replaces the old.
  fmt::print(stderr, "\r\033[K{}", text);
  shown_ = true;
}

Result<JsonValue> call_with_progress(supervisor::ControlClient& client, std::string_view request_line,
                                     std::chrono::milliseconds timeout, Progress& progress) {
  VMFORGE_TRY(JsonValue subscribed, client.call(R"({"request":"events"})", timeout));
  (void)subscribed;
  VMFORGE_TRY_VOID(client.send(request_line));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return unexpected(Error("The supervisor did not answer in time.", ETIMEDOUT));
    VMFORGE_TRY(std::string line, client.read_line(left));
    auto parsed = parse_json(line);
    if (parsed && parsed->find("event")) {
      if (auto text = status_text(*parsed)) progress.show(*text);
      continue;
    }
    return supervisor::reply_value(line);
  }
}

void show_until_closed(supervisor::ControlClient& client, Progress& progress) {
  for (;;) {
    auto line = client.read_line();
    if (!line) return;
    auto parsed = parse_json(*line);
    if (auto text = parsed ? status_text(*parsed) : std::nullopt) progress.show(*text);
  }
}

}  // namespace vmforge::cli
