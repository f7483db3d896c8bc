// SerialReport: incremental reads of the log file, one report line applied at a time.
#include "tests/support/serial_report.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/unique_fd.hpp"

namespace vmforge::test {
namespace {

constexpr std::string_view kMarker = "vmforge-guest: ";
constexpr size_t kTailBytes = 2048;
constexpr int kPollMs = 10;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> ReportValues::get(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

void ReportValues::apply(std::string_view report) {
  if (report == "ready") {
    ready_ = true;
    return;
  }
  if (report == "poweroff") {
    powered_off_ = true;
    return;
  }
  size_t eq = report.find('=');
  if (eq == std::string_view::npos) return;
  values_.insert_or_assign(std::string(report.substr(0, eq)), std::string(report.substr(eq + 1)));
}

std::string decode_report_value(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c != '\\' || i + 1 == escaped.size()) {
      out += c;
      continue;
    }
    char next = escaped[++i];
    if (next == 'n') out += '\n';
    else if (next == 'r') out += '\r';
    else if (next == 't') out += '\t';
    else if (next == 'x' && i + 2 < escaped.size() && hex_digit(escaped[i + 1]) >= 0 &&
             hex_digit(escaped[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(escaped[i + 1]) * 16 + hex_digit(escaped[i + 2]));
      i += 2;
    } else {
      out += next;
    }
  }
  return out;
}

std::optional<std::string> report_field(std::string_view value, std::string_view name) {
  size_t pos = 0;
  while (pos < value.size()) {
    size_t end = value.find(' ', pos);
    if (end == std::string_view::npos) end = value.size();
    std::string_view word = value.substr(pos, end - pos);
    if (word.size() > name.size() && word.substr(0, name.size()) == name && word[name.size()] == '=')
      return std::string(word.substr(name.size() + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

bool report_list_has(std::string_view list, std::string_view item) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(pos, end - pos) == item) return true;
    pos = end + 1;
  }
  return false;
}

bool SerialReport::read_more() {
  UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  bool got = false;
  char buf[16384];
  for (;;) {
    ssize_t n = pread(fd.get(), buf, sizeof buf, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got = true;
    offset_ += static_cast<size_t>(n);
    std::string_view chunk(buf, static_cast<size_t>(n));
    tail_.append(chunk);
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
    partial_.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(partial_.data() + start, nl - start);
      while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      size_t marker = line.find(kMarker);
      if (marker != std::string_view::npos) lines_.emplace_back(line.substr(marker + kMarker.size()));
    }
    partial_.erase(0, start);
  }
  return got;
}

Result<ReportValues> SerialReport::wait_for(const Predicate& predicate, std::chrono::milliseconds timeout,
                                            std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate(values_)) return values_;
    if (consumed_ < lines_.size()) {
      values_.apply(lines_[consumed_++]);
      continue;
    }
    if (read_more()) continue;
    if (std::chrono::steady_clock::now() >= deadline) return unexpected(timeout_error(timeout, what));
    poll(nullptr, 0, kPollMs);
  }
}

Result<ReportValues> SerialReport::wait_for_key(std::string_view key,
                                                const std::function<bool(std::string_view)>& predicate,
                                                std::chrono::milliseconds timeout) {
  return wait_for(
      [&](const ReportValues& v) {
        auto value = v.get(key);
        return value && predicate(*value);
      },
      timeout, fmt::format("a matching value of '{}'", key));
}

Result<ReportValues> SerialReport::wait_for_value(std::string_view key, std::string_view value,
                                                  std::chrono::milliseconds timeout) {
  return wait_for([&](const ReportValues& v) { return v.get(key) == value; }, timeout,
                  fmt::format("'{}={}'", key, value));
}

Result<ReportValues> SerialReport::wait_ready(std::chrono::milliseconds timeout) {
  return wait_for([](const ReportValues& v) { return v.ready(); }, timeout, "'ready'");
}

Error SerialReport::timeout_error(std::chrono::milliseconds timeout, std::string_view what) const {
  std::string recent;
  size_t first = lines_.size() > 20 ? lines_.size() - 20 : 0;
  for (size_t i = first; i < lines_.size(); ++i) recent += fmt::format("\n  {}", lines_[i]);
  return Error(fmt::format("Timed out after {} ms waiting for {} in the guest report '{}'.\n"
                           "Last report lines:{}\nEnd of the serial log:\n{}",
                           timeout.count(), what, path_, recent.empty() ? " (none)" : recent, tail_),
               ETIMEDOUT);
}

}  // namespace vmforge::test
