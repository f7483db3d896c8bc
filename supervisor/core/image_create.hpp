// Disk images the supervisor makes before QEMU opens them: `[[disk]] size` and qcow2 overlays of
// a backing image (the plan's host steps, ImageCreate). Never touches an existing file.
#pragma once

#include <string>

#include "compiler/base/result.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge::supervisor {

/// Makes the image at `path` as `create` says when nothing exists there; anything that exists
/// is left as it is. The image is built under a temporary name in the same directory, mode
/// 0600 (QEMU gets it as an fd, like every image), and linked into place without replacing
/// anything, so neither a failure nor a concurrent creator leaves a half-made image at `path`.
/// An overlay without a size gets its base's virtual size, read from the base's own header
/// (`qemu-img info` opens no backing file); `qemu-img create -u` then never opens the base, so
/// no image header chooses a host file.
Result<void> create_image_if_missing(const std::string& path, const ImageCreate& create);

}  // namespace vmforge::supervisor
