// listen_unix: the listening unix socket vmforge creates and hands to QEMU (QMP on fd 3).
#pragma once

#include <string>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"

namespace vmforge::launch {

/// A listening SOCK_STREAM socket bound at `path`, mode 0600, close-on-exec. A stale socket
/// file at `path` (nobody accepts on it) is replaced; a live one, or anything that is not a
/// socket, is an error. Paths of 108 bytes or more are an error (the sun_path limit).
Result<UniqueFd> listen_unix(const std::string& path);

}  // namespace vmforge::launch
