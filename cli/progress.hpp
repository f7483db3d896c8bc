// What a supervisor says while a request runs (its STATUS events), shown as it happens: one
// updating line on a terminal, plain lines otherwise, on stderr (stdout keeps the result).
#pragma once

#include <string_view>

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

}  // namespace vmforge::cli
