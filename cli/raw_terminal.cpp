#include "cli/raw_terminal.hpp"

#include <unistd.h>

namespace vmforge::cli {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  termios mode{};
  if (!isatty(fd) || tcgetattr(fd, &mode) != 0) return;
  termios raw = mode;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSAFLUSH, &raw) == 0) saved_ = mode;
}

RawTerminal::~RawTerminal() {
  if (saved_) (void)tcsetattr(fd_, TCSAFLUSH, &*saved_);
}

}  // namespace vmforge::cli
