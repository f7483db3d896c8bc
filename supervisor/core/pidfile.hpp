// The QEMU pidfile: how a restarted supervisor finds the QEMU its predecessor left running.
#pragma once

#include <sys/types.h>

#include <string>

#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

/// Writes "PID\n" atomically.
Result<void> write_pidfile(const std::string& path, pid_t pid);

/// Reads a pidfile written by write_pidfile(). ENOENT when there is none; EBADMSG when its
/// content is not a positive PID.
Result<pid_t> read_pidfile(const std::string& path);

}  // namespace vmforge::supervisor
