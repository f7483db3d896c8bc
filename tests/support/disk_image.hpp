// Disk images for tests through qemu-img: create_disk_image() makes one, image_info() reads one.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"

namespace vmforge::test {

/// `qemu-img create -f <format> <path> <size_bytes>` ("raw", "qcow2", ...).
Result<void> create_disk_image(const std::string& path, const std::string& format, std::uint64_t size_bytes);

/// `qemu-img info --output=json` of `path` (-U: QEMU may hold it open), with the whole backing
/// chain (an array, top first) when `chain`.
Result<JsonValue> image_info(const std::string& path, bool chain = false);

}  // namespace vmforge::test
