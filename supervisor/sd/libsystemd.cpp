#include "supervisor/sd/libsystemd.hpp"

#include <cstdio>
#include <cstdlib>

namespace vmforge::sd {
namespace {

Result<Libsystemd> open_libsystemd() {
  VMFORGE_TRY(SharedLibrary library, SharedLibrary::open("libsystemd.so.0", "libsystemd0"));
  Libsystemd lib{std::move(library)};
#define VMFORGE_LIBSYSTEMD_BIND(name) VMFORGE_TRY_VOID(lib.library.bind(lib.name, #name));
  VMFORGE_LIBSYSTEMD_FUNCTIONS(VMFORGE_LIBSYSTEMD_BIND)
#undef VMFORGE_LIBSYSTEMD_BIND
  return lib;
}

const Result<Libsystemd>& loaded() {
  static const Result<Libsystemd> lib = open_libsystemd();
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
