#include "supervisor/sd/libsystemd.hpp"

#include <cstdio>
#include <cstdlib>

namespace vmforge::sd {
namespace {

const Result<Libsystemd>& loaded() {
  static const Result<Libsystemd> lib =
      open_table<Libsystemd>("libsystemd.so.0", "libsystemd0", [](Libsystemd& table) -> Result<void> {
        VMFORGE_LIBSYSTEMD_FUNCTIONS(VMFORGE_DL_BIND)
        return {};
      });
  return lib;
}

}  // namespace

Result<const Libsystemd*> load_libsystemd() {
  if (!loaded()) return unexpected(loaded().error());
  return &*loaded();
}

const Libsystemd& libsystemd() {
  if (!loaded()) {
    // Unreachable while the contract holds: no loop or source exists without the library.
    std::fprintf(stderr, "vmforge: libsystemd used before it was loaded: %s\n", loaded().error().message.c_str());
    std::abort();
  }
  return *loaded();
}

}  // namespace vmforge::sd
