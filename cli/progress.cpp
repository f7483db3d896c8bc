#include "cli/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace vmforge::cli {

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

}  // namespace vmforge::cli
