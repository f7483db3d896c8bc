// LineBuffer: QMP's server-to-client framing. QEMU ends every message with "\r\n"; the buffer
// collects bytes and hands out complete lines, refusing any line longer than its maximum.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge::qmp {

class LineBuffer {
 public:
  /// `max_line`: the longest line accepted, terminator excluded.
  explicit LineBuffer(std::size_t max_line);

  /// Room for at least `want` more bytes at the end of the buffer. Read into it, then commit().
  std::span<char> prepare(std::size_t want);
  void commit(std::size_t n);

  /// The next complete non-empty line without "\n" / "\r\n", or nullopt until more bytes come.
  /// The view is valid until the next prepare(). Fails with EMSGSIZE, once and for good, when
  /// a line is longer than the maximum (detected as soon as that many bytes are buffered, so a
  /// hostile peer cannot make the buffer grow without bound).
  Result<std::optional<std::string_view>> next_line();

  /// Bytes received but not yet returned as lines.
  std::size_t buffered() const { return end_ - begin_; }
  std::size_t capacity() const { return capacity_; }

 private:
  Error too_long();

  std::size_t max_line_;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // start of the first unreturned line
  std::size_t scan_ = 0;   // bytes before this offset hold no '\n'
  std::size_t end_ = 0;
  bool failed_ = false;
};

}  // namespace vmforge::qmp
