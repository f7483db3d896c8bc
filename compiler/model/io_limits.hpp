// I/O limits of a disk or a [[throttle_group]]: the one list of limits (manifest key, QEMU's
// ThrottleLimits member) that the key table, the validator, the lowering and the diff share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vmforge {

/// Requests (iops) or bytes (bps) per second, in total or per direction.
enum class IoLimitBase { iops_total, iops_read, iops_write, bps_total, bps_read, bps_write };

/// What a key sets for its base: the average rate, the burst rate above it, or how many seconds
/// the burst may last.
enum class IoLimitPart { rate, burst, burst_length };

struct IoLimitName {
  IoLimitBase base;
  IoLimitPart part;
  std::string_view key;     // manifest: "iops_total_max"
  std::string_view qemu;    // ThrottleLimits (throttle-group objects): "iops-total-max"
  std::string_view legacy;  // block_set_io_throttle and query-block: "iops_max"
  std::string_view description;
};

inline constexpr std::array<IoLimitName, 18> kIoLimitNames = {{
    {IoLimitBase::iops_total, IoLimitPart::rate, "iops_total", "iops-total", "iops",
     "I/O requests per second, reads and writes together (not with 'iops_read' or 'iops_write')."},
    {IoLimitBase::iops_total, IoLimitPart::burst, "iops_total_max", "iops-total-max", "iops_max",
     "Burst rate above 'iops_total' (needs it, at least as high)."},
    {IoLimitBase::iops_total, IoLimitPart::burst_length, "iops_total_max_length", "iops-total-max-length",
     "iops_max_length", "Seconds a burst at 'iops_total_max' may last (needs it; QEMU's default 1)."},
    {IoLimitBase::iops_read, IoLimitPart::rate, "iops_read", "iops-read", "iops_rd",
     "Read requests per second (not with 'iops_total')."},
    {IoLimitBase::iops_read, IoLimitPart::burst, "iops_read_max", "iops-read-max", "iops_rd_max",
     "Burst rate above 'iops_read' (needs it, at least as high)."},
    {IoLimitBase::iops_read, IoLimitPart::burst_length, "iops_read_max_length", "iops-read-max-length",
     "iops_rd_max_length", "Seconds a burst at 'iops_read_max' may last (needs it; QEMU's default 1)."},
    {IoLimitBase::iops_write, IoLimitPart::rate, "iops_write", "iops-write", "iops_wr",
     "Write requests per second (not with 'iops_total')."},
    {IoLimitBase::iops_write, IoLimitPart::burst, "iops_write_max", "iops-write-max", "iops_wr_max",
     "Burst rate above 'iops_write' (needs it, at least as high)."},
    {IoLimitBase::iops_write, IoLimitPart::burst_length, "iops_write_max_length", "iops-write-max-length",
     "iops_wr_max_length", "Seconds a burst at 'iops_write_max' may last (needs it; QEMU's default 1)."},
    {IoLimitBase::bps_total, IoLimitPart::rate, "bps_total", "bps-total", "bps",
     "Bytes per second, reads and writes together (not with 'bps_read' or 'bps_write')."},
    {IoLimitBase::bps_total, IoLimitPart::burst, "bps_total_max", "bps-total-max", "bps_max",
     "Burst rate above 'bps_total' (needs it, at least as high)."},
    {IoLimitBase::bps_total, IoLimitPart::burst_length, "bps_total_max_length", "bps-total-max-length",
     "bps_max_length", "Seconds a burst at 'bps_total_max' may last (needs it; QEMU's default 1)."},
    {IoLimitBase::bps_read, IoLimitPart::rate, "bps_read", "bps-read", "bps_rd",
     "Bytes read per second (not with 'bps_total')."},
    {IoLimitBase::bps_read, IoLimitPart::burst, "bps_read_max", "bps-read-max", "bps_rd_max",
     "Burst rate above 'bps_read' (needs it, at least as high)."},
    {IoLimitBase::bps_read, IoLimitPart::burst_length, "bps_read_max_length", "bps-read-max-length",
     "bps_rd_max_length", "Seconds a burst at 'bps_read_max' may last (needs it; QEMU's default 1)."},
    {IoLimitBase::bps_write, IoLimitPart::rate, "bps_write", "bps-write", "bps_wr",
     "Bytes written per second (not with 'bps_total')."},
    {IoLimitBase::bps_write, IoLimitPart::burst, "bps_write_max", "bps-write-max", "bps_wr_max",
     "Burst rate above 'bps_write' (needs it, at least as high)."},
    {IoLimitBase::bps_write, IoLimitPart::burst_length, "bps_write_max_length", "bps-write-max-length",
     "bps_wr_max_length", "Seconds a burst at 'bps_write_max' may last (needs it; QEMU's default 1)."},
}};

/// QEMU's value of a limit nobody set: no rate, no burst, bursts of 1 s (what qom-get shows).
constexpr std::uint64_t io_limit_unset(IoLimitPart part) { return part == IoLimitPart::burst_length ? 1 : 0; }

/// The `throttle_group` of a disk whose device is not throttled, as plan and status show it.
inline constexpr std::string_view kNoThrottleGroup = "none";

/// The limits set, indexed like kIoLimitNames; none set: no throttling.
struct IoLimits {
  std::array<std::optional<std::uint64_t>, kIoLimitNames.size()> values{};

  bool any() const {
    for (const auto& v : values) {
      if (v) return true;
    }
    return false;
  }
  /// The value QEMU has for limit `i`: the one set, else QEMU's default.
  std::uint64_t effective(std::size_t i) const { return values[i].value_or(io_limit_unset(kIoLimitNames[i].part)); }
  bool operator==(const IoLimits&) const = default;
};

}  // namespace vmforge
