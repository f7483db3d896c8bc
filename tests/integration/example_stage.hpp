// Staging an example for a real QEMU: a copy of examples/ in a temp dir whose relative paths
// ("../build/...") resolve inside it, with the test guest linked in and every image, directory
// and parent directory the manifest names created there.
#pragma once

#include <string>
#include <vector>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vmforge::test {

/// The example manifests that need nothing from the host (not "host-*"), sorted.
std::vector<std::string> host_free_examples();

/// Copies examples/ to `dir`/examples and links `dir`/build/guest to the test guest.
Result<void> stage_examples(const TempDir& dir);

/// Creates what `vm` expects to find: disk images (qemu-img, 64 MiB), NVDIMM files, 9p
/// directories, and the parent directories of serial logs, sockets, pid and log files.
Result<void> create_host_files(const Vm& vm);

/// The fds `run` passes besides the QMP socket: the cloud-init seed (a small raw image here,
/// opened read-only and owned by `keep`).
Result<std::vector<launch::FdMapping>> extra_fds(const Vm& vm, const TempDir& dir, std::vector<UniqueFd>& keep);

/// Diagnostics as text, for a failed test.
std::string render(const Diagnostics& diagnostics);

}  // namespace vmforge::test
