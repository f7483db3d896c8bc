// What QEMU may touch: the user it runs as, and the files the supervisor opens on its behalf
// (QEMU, unprivileged, gets fds instead of paths).
#pragma once

#include <sys/types.h>

#include <optional>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/launch/process.hpp"

namespace vmforge::supervisor {

/// Who QEMU runs as when the supervisor runs as `self`; nullopt: as the supervisor (no switch).
/// `[qemu] uid`/`gid`/`groups` as given; `[qemu] user` (or, for a root supervisor without
/// either, kDefaultQemuUser) looked up in /etc/passwd and /etc/group (files only, not NSS),
/// with its primary and supplementary groups; "root" is no switch.
Result<std::optional<launch::Credentials>> qemu_credentials(const Vm& vm, uid_t self);

/// Opens `file` as FileOpen says (create: write-only, created 0600 or truncated), close-on-exec,
/// after making the image `file.create` describes if it is missing (image_create.hpp). The
/// error names the path and says what failed.
Result<UniqueFd> open_for_qemu(const PassedFile& file);

}  // namespace vmforge::supervisor
