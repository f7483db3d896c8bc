// <vmforge/launch.hpp>: the QEMU launcher. vmforge::launch::spawn runs an argv with inherited fds
// mapped to given child fd numbers (a Plan's argv wants the QMP socket as kQmpListenFd), owns
// the child through a pidfd and keeps its stderr; listen_unix makes that QMP socket.
#pragma once

#include "supervisor/launch/listen_unix.hpp"
#include "supervisor/launch/process.hpp"
