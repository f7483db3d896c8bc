// Spawning a VM's QEMU paused (-S), listening for QMP on <state dir>/qmp.sock. The supervisor
// does it before its event loop exists (QEMU starts while the loop is made), so it needs no
// event loop, no logging and no library but base and launch.
#pragma once

#include <optional>

#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/launch/process.hpp"

namespace vmforge::supervisor {

/// Checks the VFIO functions `vm` passes through, creates qmp.sock (and serial.sock for a
/// [[serial]] with the backend 'console'), and spawns `plan`'s argv
/// with the socket, the fds the manifest names and the cloud-init `seed` (built by the caller),
/// the files the plan opens for QEMU, stderr in qemu.log, the environment qemu_environment()
/// says, as the user qemu_credentials() says. The socket file stays
/// for the supervisor to connect to; QEMU accepts once it is up.
Result<launch::Process> spawn_paused_qemu(const Vm& vm, const Plan& plan, const StateDir& state,
                                          std::optional<launch::FdMapping> seed);

}  // namespace vmforge::supervisor
