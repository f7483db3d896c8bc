// errno_error: the launcher's "what failed: strerror" Error.
#pragma once

#include <string.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "compiler/base/error.hpp"

namespace vmforge::launch {

inline Error errno_error(const std::string& what, int err = errno) {
  return Error(fmt::format("{}: {}", what, strerrordesc_np(err)), err);
}

}  // namespace vmforge::launch
