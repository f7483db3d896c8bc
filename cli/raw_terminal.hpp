// RawTerminal: puts a terminal in raw mode (no echo, no line editing, no signal keys: every
// byte goes to the VM, Ctrl-C included) and restores its settings when destroyed.
#pragma once

#include <termios.h>

#include <optional>

namespace vmforge::cli {

class RawTerminal {
 public:
  /// Raw mode on `fd` when it is a terminal; otherwise does nothing.
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  bool active() const { return saved_.has_value(); }

 private:
  int fd_;
  std::optional<termios> saved_;
};

}  // namespace vmforge::cli
