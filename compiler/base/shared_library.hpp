// SharedLibrary: a C library opened with dlopen() when first needed rather than at exec, so
// the commands that never use it (compile, check, plan) do not pay for loading it and the
// libraries it depends on.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"

namespace vmforge {

class SharedLibrary {
 public:
  /// Opens `soname`; the error says which Debian `package` provides it.
  static Result<SharedLibrary> open(const char* soname, std::string_view package);

  /// Points `function` at the library's symbol `name`, which must have that C type.
  template <class Function>
  Result<void> bind(Function*& function, const char* name) const {
    VMFORGE_TRY(void* address, symbol(name));
    function = reinterpret_cast<Function*>(address);
    return {};
  }

 private:
  struct Close {
    void operator()(void* handle) const noexcept;
  };

  SharedLibrary(void* handle, std::string soname, std::string package)
      : handle_(handle), soname_(std::move(soname)), package_(std::move(package)) {}
  Result<void*> symbol(const char* name) const;

  std::unique_ptr<void, Close> handle_;
  std::string soname_;
  std::string package_;
};

}  // namespace vmforge
