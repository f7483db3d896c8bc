// LineBuffer: a compacting byte buffer split at '\n', which also shrinks back after a huge line.
#include "supervisor/qmp/framing.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vmforge::qmp {
namespace {

constexpr std::size_t kInitialCapacity = 16 * 1024;
// After a large reply (the 207 KB schema, a 20 MB line) the memory goes back: a supervisor
// should not keep megabytes for one past message.
constexpr std::size_t kShrinkAbove = 256 * 1024;

}  // namespace

LineBuffer::LineBuffer(std::size_t max_line) : max_line_(max_line) {}

std::span<char> LineBuffer::prepare(std::size_t want) {
  std::size_t pending = end_ - begin_;
  std::size_t needed = pending + want;
  bool shrink = capacity_ > kShrinkAbove && needed <= capacity_ / 4;
  if (needed > capacity_ || shrink) {
    std::size_t grown = capacity_ == 0 ? kInitialCapacity : capacity_;
    if (shrink) grown = kInitialCapacity;
    while (grown < needed) grown *= 2;
    // Not zeroed: pages the reads never reach stay untouched, not the process's own memory.
    auto fresh = std::make_unique_for_overwrite<char[]>(grown);
    if (pending > 0) std::memcpy(fresh.get(), data_.get() + begin_, pending);
    data_ = std::move(fresh);
    capacity_ = grown;
  } else if (begin_ > 0 && capacity_ - end_ < want) {
    std::memmove(data_.get(), data_.get() + begin_, pending);
  } else {
    return {data_.get() + end_, capacity_ - end_};
  }
  scan_ -= begin_;
  begin_ = 0;
  end_ = pending;
  return {data_.get() + end_, capacity_ - end_};
}

void LineBuffer::commit(std::size_t n) { end_ += n; }

Error LineBuffer::too_long() {
  failed_ = true;
  return Error(fmt::format("QMP message longer than the maximum of {} bytes", max_line_), EMSGSIZE);
}

Result<std::optional<std::string_view>> LineBuffer::next_line() {
  if (failed_) return unexpected(Error("QMP input is unusable after an over-long message", EMSGSIZE));
  while (true) {
    const char* base = data_.get();
    const void* nl = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
    if (nl == nullptr) {
      scan_ = end_;
      if (end_ - begin_ > max_line_) {
        return unexpected(too_long());
      }
      return std::optional<std::string_view>();
    }
    std::size_t stop = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    std::size_t start = begin_;
    begin_ = scan_ = stop + 1;
    std::size_t len = stop - start;
    if (len > 0 && base[start + len - 1] == '\r') --len;
    if (len > max_line_) {
      return unexpected(too_long());
    }
    if (len > 0) return std::optional<std::string_view>(std::string_view(base + start, len));
  }
}

}  // namespace vmforge::qmp
