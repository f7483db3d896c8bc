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
  char* unit = nullptr;
  if (auto name = take((*lib)->sd_pid_get_user_unit(pid, &unit), unit)) return PidUnit{std::move(*name), true};
  unit = nullptr;
  if (auto name = take((*lib)->sd_pid_get_unit(pid, &unit), unit)) return PidUnit{std::move(*name), false};
  return std::nullopt;
}

}  // namespace vmforge::sd
