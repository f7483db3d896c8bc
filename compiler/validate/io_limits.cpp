// Validation of I/O limits ([[disk]] and [[throttle_group]] share the keys) and of the
// [[throttle_group]] tables, with the rules QEMU's throttle_is_valid() applies at start-up.
#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

std::size_t index_of(IoLimitBase base, IoLimitPart part) {
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) {
    if (kIoLimitNames[i].base == base && kIoLimitNames[i].part == part) return i;
  }
  return 0;
}

std::string_view key_of(IoLimitBase base, IoLimitPart part) { return kIoLimitNames[index_of(base, part)].key; }

// A total and a per-direction rate of the same unit are refused together.
void check_total_or_directions(const Fields& f, const IoLimits& limits, IoLimitBase total,
                               std::initializer_list<IoLimitBase> directions) {
  if (!limits.values[index_of(total, IoLimitPart::rate)]) return;
  for (IoLimitBase direction : directions) {
    const std::string_view key = key_of(direction, IoLimitPart::rate);
    if (!limits.values[index_of(direction, IoLimitPart::rate)]) continue;
    f.error(key, fmt::format("{}: '{}' cannot be combined with '{}' (QEMU refuses a total and a per-direction limit "
                             "together); keep one of them",
                             f.owner(), key, key_of(total, IoLimitPart::rate)));
  }
}

// A burst needs its rate and is at least as high; a burst length needs its burst, and the
// bucket (burst × length) stays within QEMU's largest value.
void check_burst(const Fields& f, const IoLimits& limits, IoLimitBase base) {
  const auto rate = limits.values[index_of(base, IoLimitPart::rate)];
  const auto burst = limits.values[index_of(base, IoLimitPart::burst)];
  const auto length = limits.values[index_of(base, IoLimitPart::burst_length)];
  const std::string_view rate_key = key_of(base, IoLimitPart::rate);
  const std::string_view burst_key = key_of(base, IoLimitPart::burst);
  const std::string_view length_key = key_of(base, IoLimitPart::burst_length);
  if (burst && !rate) {
    f.error(burst_key, fmt::format("{}: '{}' is a burst above '{}', which is not set; set '{}' too", f.owner(),
                                   burst_key, rate_key, rate_key));
  } else if (burst && *burst < *rate) {
    f.error(burst_key,
            fmt::format("{}: '{}' ({}) must be at least '{}' ({})", f.owner(), burst_key, *burst, rate_key, *rate));
  }
  if (length && !burst) {
    f.error(length_key, fmt::format("{}: '{}' is how long a burst at '{}' lasts, which is not set; set '{}' too",
                                    f.owner(), length_key, burst_key, burst_key));
  } else if (length && *burst > static_cast<std::uint64_t>(f.range(burst_key).max) / *length) {
    f.error(length_key, fmt::format("{}: '{}' × '{}' ({} × {}) must be at most {}", f.owner(), burst_key, length_key,
                                    *burst, *length, f.range(burst_key).max));
  }
}

}  // namespace

IoLimits read_io_limits(const Fields& f) {
  IoLimits limits;
  for (std::size_t i = 0; i < kIoLimitNames.size(); ++i) limits.values[i] = f.number(kIoLimitNames[i].key);
  check_total_or_directions(f, limits, IoLimitBase::iops_total, {IoLimitBase::iops_read, IoLimitBase::iops_write});
  check_total_or_directions(f, limits, IoLimitBase::bps_total, {IoLimitBase::bps_read, IoLimitBase::bps_write});
  for (IoLimitBase base : {IoLimitBase::iops_total, IoLimitBase::iops_read, IoLimitBase::iops_write,
                           IoLimitBase::bps_total, IoLimitBase::bps_read, IoLimitBase::bps_write}) {
    check_burst(f, limits, base);
  }
  return limits;
}

void validate_throttle_groups(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  for_each_table(root, "throttle_group", ctx, [&](Fields& f) {
    ThrottleGroup group;
    group.id = read_device_id(f, "throttle_group", vm);
    group.limits = read_io_limits(f);
    vm.throttle_groups.push_back(std::move(group));
  });
}

}  // namespace vmforge
