// What a supervisor says while a request runs (its STATUS events), shown as it happens: one
// updating line on a terminal, plain lines otherwise, on stderr (stdout keeps the result).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "supervisor/core/control_client.hpp"

namespace vmforge::cli {

class Progress {
 public:
  Progress();
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Shows `text` (its first line) in place of the previous one.
  void show(std::string_view text);

 private:
  bool terminal_;
  bool shown_ = false;  // an updating line is on the screen: end it before leaving
};

/// Subscribes `client` to the supervisor's events, sends `request_line` and shows each STATUS
/// event until the reply comes (within `timeout`); returns the reply's value or error.
Result<JsonValue> call_with_progress(supervisor::ControlClient& client, std::string_view request_line,
                                     std::chrono::milliseconds timeout, Progress& progress);

/// After call_with_progress(): shows STATUS events until the supervisor closes the connection.
void show_until_closed(supervisor::ControlClient& client, Progress& progress);

}  // namespace vmforge::cli
