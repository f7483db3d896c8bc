#include "compiler/base/shared_library.hpp"

#include <dlfcn.h>

#include <cerrno>

#include <fmt/format.h>

namespace vmforge {

void SharedLibrary::Close::operator()(void* handle) const noexcept { dlclose(handle); }

Result<SharedLibrary> SharedLibrary::open(const char* soname, std::string_view package) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return unexpected(Error(fmt::format("Failed to load {}: {}. Is the Debian package '{}' installed?", soname,
                                        why != nullptr ? why : "unknown error", package),
                            ENOENT));
  }
  return SharedLibrary(handle, soname, std::string(package));
}

Result<void*> SharedLibrary::symbol(const char* name) const {
  dlerror();  // clear: a symbol may legitimately be null, so only dlerror() tells failure
  void* address = dlsym(handle_.get(), name);
  if (const char* why = dlerror(); why != nullptr) {
    return unexpected(Error(fmt::format("{} has no function '{}' ({}); the installed '{}' is too old or too new.",
                                        soname_, name, why, package_),
                            ENOENT));
  }
  return address;
}

}  // namespace vmforge
