// SerialReport: follows the test guest's serial log and waits for what its reporter prints.
// The line format is documented in guest/README.md ("Report format").
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/result.hpp"

namespace vmforge::test {

/// The latest value of every key the guest reported, up to some line of its log.
class ReportValues {
 public:
  /// The raw (still escaped) value of `key`; nullopt if never reported. An empty value means
  /// the thing is gone.
  std::optional<std::string> get(std::string_view key) const;
  /// The value of `key`, or "" when never reported.
  std::string operator[](std::string_view key) const { return get(key).value_or(""); }
  bool ready() const { return ready_; }
  bool powered_off() const { return powered_off_; }
  const std::map<std::string, std::string, std::less<>>& all() const { return values_; }

  /// Applies one report line (the text after "vmforge-guest: ").
  void apply(std::string_view report);

 private:
  std::map<std::string, std::string, std::less<>> values_;
  bool ready_ = false;
  bool powered_off_ = false;
};

/// Undoes the reporter's escaping (\\ \n \r \t \xHH).
std::string decode_report_value(std::string_view escaped);

/// The `name=` field of a value such as "size=1048576 serial=root1 ro=0"; nullopt if absent.
std::optional<std::string> report_field(std::string_view value, std::string_view name);

/// True if the comma-separated `list` ("sda,vda") contains `item`.
bool report_list_has(std::string_view list, std::string_view item);

/// Reads the serial log at `path` (which may not exist yet) line by line. Lines are consumed
/// in order: wait_for() returns at the first line after which its predicate holds, and the
/// next wait_for() goes on from there, so a transient state is never skipped.
class SerialReport {
 public:
  using Predicate = std::function<bool(const ReportValues&)>;

  explicit SerialReport(std::string path) : path_(std::move(path)) {}

  /// The values after the lines consumed so far.
  const ReportValues& values() const { return values_; }

  /// Consumes lines until `predicate` holds, for at most `timeout` (polling the file every
  /// 10 ms). On timeout the error names `what`, the recent report lines and the log's tail.
  Result<ReportValues> wait_for(const Predicate& predicate, std::chrono::milliseconds timeout, std::string_view what);
  /// Waits until `key` has a value for which `predicate` holds.
  Result<ReportValues> wait_for_key(std::string_view key, const std::function<bool(std::string_view)>& predicate,
                                    std::chrono::milliseconds timeout);
  /// Waits until `key` has exactly `value`.
  Result<ReportValues> wait_for_value(std::string_view key, std::string_view value, std::chrono::milliseconds timeout);
  /// Waits for "vmforge-guest: ready".
  Result<ReportValues> wait_ready(std::chrono::milliseconds timeout);

  /// Every report line read so far, consumed or not.
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  // Reads what was appended to the log; false if nothing new.
  bool read_more();
  Error timeout_error(std::chrono::milliseconds timeout, std::string_view what) const;

  std::string path_;
  size_t offset_ = 0;
  std::string partial_;
  std::string tail_;  // the last bytes of the log, report lines or not, for errors
  std::vector<std::string> lines_;
  size_t consumed_ = 0;
  ReportValues values_;
};

}  // namespace vmforge::test
