// unit_of_pid through sd_pid_get_user_unit / sd_pid_get_unit.
#include "supervisor/sd/pid_unit.hpp"

#include <cstdlib>

#include "supervisor/sd/libsystemd.hpp"

namespace vmforge::sd {
namespace {

std::optional<std::string> take(int r, char* unit) {
  if (r < 0 || unit == nullptr) return std::nullopt;
  std::string name(unit);
  std::free(unit);
  return name;
}

}  // namespace

std::optional<PidUnit> unit_of_pid(pid_t pid) {
  auto lib = load_libsystemd();
  if (!lib) return std::nullopt;
  // The call first, then `unit`: as two arguments of take() the order would be unspecified,
  // and GCC read `unit` (still null) before the call set it.
  char* unit = nullptr;
  int r = (*lib)->sd_pid_get_user_unit(pid, &unit);
  if (auto name = take(r, unit)) return PidUnit{std::move(*name), true};
  unit = nullptr;
  r = (*lib)->sd_pid_get_unit(pid, &unit);
  if (auto name = take(r, unit)) return PidUnit{std::move(*name), false};
  return std::nullopt;
}

}  // namespace vmforge::sd
