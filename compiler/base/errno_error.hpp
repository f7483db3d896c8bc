// errno_error: an Error that says what failed and why, "WHAT: strerror(err)", errno kept.
#pragma once

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "compiler/base/error.hpp"

namespace vmforge {

inline Error errno_error(std::string_view what, int err = errno) {
  return Error(fmt::format("{}: {}", what, std::strerror(err)), err);
}

}  // namespace vmforge
