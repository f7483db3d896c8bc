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

/// Opens `soname` into a `Table` (a struct whose first member is `SharedLibrary library`, then
/// one VMFORGE_DL_FUNCTION per function) and binds them with `bind_all(table)`, a lambda of
/// VMFORGE_DL_BIND lines that returns Result<void>.
template <class Table, class BindAll>
Result<Table> open_table(const char* soname, std::string_view package, BindAll bind_all) {
  VMFORGE_TRY(SharedLibrary library, SharedLibrary::open(soname, package));
  Table table{std::move(library)};
  VMFORGE_TRY_VOID(bind_all(table));
  return table;
}

}  // namespace vmforge

/// A member of a function table: a pointer named and typed like the C function `name`.
#define VMFORGE_DL_FUNCTION(name) decltype(&::name) name = nullptr;
/// In an open_table() lambda whose parameter is `table`: binds `table.name`.
#define VMFORGE_DL_BIND(name) VMFORGE_TRY_VOID(table.library.bind(table.name, #name));
