// create_disk_image: a fresh disk image made by qemu-img, for tests that attach disks.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/base/result.hpp"

namespace vmforge::test {

/// `qemu-img create -f <format> <path> <size_bytes>` ("raw", "qcow2", ...).
Result<void> create_disk_image(const std::string& path, const std::string& format, std::uint64_t size_bytes);

}  // namespace vmforge::test
